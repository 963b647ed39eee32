"""Messages for the person running the test.

Each function joins its arguments with spaces, as ``print`` does, and
writes one line to the run's log, tagged with the VU::

    from barrage import log

    log.info("logged in as", user)
    log.warn("slow answer:", res.timings.duration, "ms")

The host writes at most 50 lines a second and says how many it dropped;
``debug`` lines show only when Barrage runs with debug logging. ``print``
works too: standard output is logged as ``info`` and standard error as
``warn``.
"""

from __future__ import annotations

from wit_world.imports import log as _wit

from . import _runtime

__all__ = ["debug", "info", "warn", "error"]


def _write(level, values, sep: str) -> None:
    _runtime.require_live("barrage.log")
    _wit.write(level, sep.join(str(value) for value in values))


def debug(*values, sep: str = " ") -> None:
    """Logs ``values`` at level debug, shown only with debug logging on."""
    _write(_wit.Level.DEBUG, values, sep)


def info(*values, sep: str = " ") -> None:
    """Logs ``values`` at level info."""
    _write(_wit.Level.INFO, values, sep)


def warn(*values, sep: str = " ") -> None:
    """Logs ``values`` at level warn."""
    _write(_wit.Level.WARN, values, sep)


def error(*values, sep: str = " ") -> None:
    """Logs ``values`` at level error. Logging an error does not fail the
    iteration; raise an exception for that."""
    _write(_wit.Level.ERROR, values, sep)
