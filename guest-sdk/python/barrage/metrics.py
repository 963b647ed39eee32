"""Custom metrics: ``Counter``, ``Gauge``, ``Rate`` and ``Trend``.

Create them at module level, like k6's init code, and add samples from
any function the host calls::

    from barrage import Counter, Trend

    items_created = Counter("items_created")
    create_time = Trend("flow_create_duration", is_time=True)

    def default(data):
        ...
        create_time.add(res.timings.duration)
        items_created.add(1)

Creating one only records its name: the metric is defined with the host
on its first sample (or by ``define()``), because module-level code runs
when the scenario is built, where there is no host. The host rejects an
invalid name, or a name already used by a metric of another kind, at that
moment: ``add`` or ``define`` raises ``ValueError``. A metric is defined
once per VU; every VU adds to the same series.
"""

from __future__ import annotations

from wit_world.imports import metrics as _wit
from componentize_py_types import Err as _Err

from . import _runtime

__all__ = ["Counter", "Gauge", "Rate", "Trend"]


class _Metric:
    """What the four kinds share; use one of the subclasses."""

    __slots__ = ("name", "_is_time", "_handle")
    _kind = None  # set by each subclass

    def __init__(self, name: str, is_time: bool = False) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError("a metric's name must be a non-empty string")
        self.name = name
        self._is_time = bool(is_time)
        self._handle = None

    def define(self):
        """Defines the metric with the host now instead of on the first
        sample, so that a bad name fails early (in ``init``, say). Returns
        the metric; calling it again does nothing."""
        if self._handle is None:
            _runtime.require_live(f"defining the metric {self.name!r}")
            try:
                self._handle = _wit.Metric.define(self.name, self._kind, self._is_time)
            except _Err as error:
                raise ValueError(f"metric {self.name!r}: {error.value}") from None
        return self

    def add(self, value, tags=None) -> None:
        """Adds one sample, with optional extra ``tags`` (a dict or a list
        of (name, value) pairs) on top of the VU's own."""
        handle = self._handle
        if handle is None:
            handle = self.define()._handle
        handle.add(self._number(value), _runtime.tag_list(tags) if tags else [])

    def _number(self, value) -> float:
        return float(value)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class Counter(_Metric):
    """A cumulative sum: the summary shows its total and its rate per
    second. Add the amount to count, usually 1."""

    __slots__ = ()
    _kind = _wit.MetricKind.COUNTER

    def __init__(self, name: str) -> None:
        super().__init__(name)


class Gauge(_Metric):
    """A value that goes up and down: the summary shows the last value
    added, with the smallest and largest."""

    __slots__ = ()
    _kind = _wit.MetricKind.GAUGE

    def __init__(self, name: str) -> None:
        super().__init__(name)


class Rate(_Metric):
    """The share of samples that are true: add ``True``/``False`` (or any
    number; non-zero counts as true)."""

    __slots__ = ()
    _kind = _wit.MetricKind.RATE

    def __init__(self, name: str) -> None:
        super().__init__(name)

    def _number(self, value) -> float:
        return 1.0 if value else 0.0


class Trend(_Metric):
    """A distribution: the summary shows avg, min, med, max and
    percentiles. With ``is_time=True`` values are milliseconds and print
    as durations; a ``datetime.timedelta`` is then accepted as well."""

    __slots__ = ()
    _kind = _wit.MetricKind.TREND

    def __init__(self, name: str, is_time: bool = False) -> None:
        super().__init__(name, is_time)

    def _number(self, value) -> float:
        if self._is_time and hasattr(value, "total_seconds"):
            return value.total_seconds() * 1000.0
        return float(value)
