"""Barrage's Python SDK: write load-test scenarios as plain Python modules.

A scenario is a module named ``scenario`` (the file ``scenario.py``)
shaped like a k6 script::

    from barrage import http, check, sleep, env

    options = {"vus": 10, "duration": "30s"}

    def default(data):
        res = http.get(env("TARGET", "http://127.0.0.1:8080/"))
        check(res, {"status is 200": lambda r: r.status == 200})
        sleep(1)

``barrage build`` turns the directory holding it into a WebAssembly
component that ``barrage run`` runs. What the module may define, all
optional but ``default``:

``options``
    A dict of the test's options with k6's names (``vus``, ``duration``,
    ``iterations``, ``scenarios``, ``thresholds``, ...). Flags and
    configuration files override them.
``setup()``
    Runs once, before any VU starts. What it returns (anything
    ``json.dumps`` can encode) is handed to every VU's ``init``, to each
    iteration and to ``teardown``, as a fresh decoded copy.
``init(data)``
    Runs once in each VU before its first iteration: log in, read
    variables, fill module globals. Each VU is a separate interpreter, so
    globals are the VU's own.
``default(data)``
    One iteration. A test whose options name another function with a
    scenario's ``exec`` calls that function of the module instead.
``teardown(data)``
    Runs once, after the last iteration.
``handle_summary(summary)``
    Receives the end-of-test summary as a dict and returns reports to
    write: see ``SummaryOutput``.

Each of ``setup``, ``init``, the iteration functions and ``teardown`` may
leave out the ``data`` parameter. An exception they raise fails that call
with its type, message and the scenario's lines of the traceback, as an
error the host logs; in an iteration it fails that iteration only.

What this package offers:

- ``http``: requests (``http.get``, ``http.post``, ``http.batch``, ...);
- ``check``, ``group``, ``sleep``, ``env``, ``vu``: k6's helpers;
- ``Counter``, ``Gauge``, ``Rate``, ``Trend``: custom metrics;
- ``log``: ``log.info(...)`` and friends, for the person running the test;
- ``SummaryOutput``: what ``handle_summary`` may return.

The module's top-level code runs once, when the scenario is built, not
when it runs: no function that needs the host (requests, ``env``,
``sleep``, ``vu``, ``log``, checks, groups, adding to a metric) may be
called there, and every module the scenario uses must be imported there,
because nothing can be imported later.
"""

from __future__ import annotations

import sys as _sys

# A build imports the scenario from the project's directory; do not leave
# the build's compiled files behind in it.
_sys.dont_write_bytecode = True

import functools as _functools
import json as _json

from wit_world.imports import execution as _execution
from wit_world.imports import metrics as _metrics

from . import _runtime
from . import http
from . import log
from .metrics import Counter, Gauge, Rate, Trend

__all__ = [
    "http",
    "log",
    "check",
    "group",
    "Group",
    "sleep",
    "env",
    "vu",
    "VU",
    "Counter",
    "Gauge",
    "Rate",
    "Trend",
    "SummaryOutput",
]

__version__ = "0.1.0"


def check(value, checks, tags=None) -> bool:
    """Runs named checks on ``value`` and records each in the ``checks``
    rate; returns whether all of them passed.

    ``checks`` maps each check's name to a predicate called with
    ``value`` (or to a plain truth value). Every check runs and is
    recorded even when an earlier one failed, and a predicate that raises
    counts as a failed check instead of failing the iteration. ``tags``
    (a dict) are added to every check's sample::

        check(res, {
            "status is 200": lambda r: r.status == 200,
            "body is a list": lambda r: isinstance(r.json(), list),
        })
    """
    _runtime.require_live("barrage.check()")
    tag_list = _runtime.tag_list(tags) if tags else []
    try:
        pairs = checks.items()
    except AttributeError:
        raise TypeError("checks must be a dict of name to predicate") from None
    all_passed = True
    for name, predicate in pairs:
        if callable(predicate):
            try:
                passed = bool(predicate(value))
            except Exception as error:
                passed = False
                log.debug(f"check {name!r} raised {_runtime.describe(error, 2)}")
        else:
            passed = bool(predicate)
        _metrics.check(str(name), passed, tag_list)
        all_passed = all_passed and passed
    return all_passed


class Group:
    """A named section of an iteration, as k6's ``group``: requests,
    checks and metrics inside it are tagged ``group=::name`` (nested
    groups join with ``::``) and its time is recorded in
    ``group_duration``. Make one with ``group(name)``.

    Use it as a context manager or as a decorator; either way the group
    ends when its code returns or raises::

        with group("list"):
            http.get(url)

        @group("create")
        def create():
            ...
    """

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError("a group's name must be a non-empty string")
        self.name = name

    def __enter__(self) -> "Group":
        _runtime.require_live("entering a group")
        _metrics.group_start(self.name)
        return self

    def __exit__(self, kind, error, traceback) -> bool:
        _metrics.group_end()
        return False

    def __call__(self, function):
        """Decorates ``function`` so that each call runs inside the group."""

        @_functools.wraps(function)
        def in_group(*args, **kwargs):
            with self:
                return function(*args, **kwargs)

        return in_group

    def __repr__(self) -> str:
        return f"group({self.name!r})"


def group(name: str, function=None):
    """Opens the group ``name``. With only a name it returns a ``Group``
    for ``with`` or for decorating a function; with a ``function`` too, as
    k6's ``group(name, fn)``, it runs it inside the group at once and
    returns what it returns::

        token = group("login", lambda: login(user))
    """
    if function is None:
        return Group(name)
    with Group(name):
        return function()


def sleep(seconds) -> None:
    """Suspends the VU for ``seconds`` (a number, a ``timedelta`` or a
    string like ``"500ms"``) without holding a thread; 0 returns at once.
    Prefer it to ``time.sleep``."""
    duration = _runtime.seconds(seconds, "sleep")
    _runtime.require_live("barrage.sleep()")
    if duration > 0:
        _execution.sleep(duration)


def env(key: str, default=None):
    """The variable ``key`` passed with ``barrage run -e KEY=VALUE`` (a
    string), or ``default`` when it was not passed. The scenario sees no
    other environment. Convert as needed: ``float(env("SLEEP", 1))``."""
    _runtime.require_live("barrage.env()")
    value = _execution.env(key)
    return default if value is None else value


class VU(tuple):
    """Who is running: ``id`` (the VU's number in this test instance,
    from 1; 0 in ``setup`` and ``teardown``), ``iteration`` (iterations
    this VU started before the current one) and ``scenario`` (the name
    of the scenario the VU runs). A named tuple."""

    __slots__ = ()

    def __new__(cls, id: int, iteration: int, scenario: str) -> "VU":
        return tuple.__new__(cls, (id, iteration, scenario))

    id = property(lambda self: self[0], doc="The VU's number, from 1; 0 in setup and teardown.")
    iteration = property(lambda self: self[1], doc="Iterations this VU started before this one.")
    scenario = property(lambda self: self[2], doc="The name of the scenario this VU runs.")

    def __repr__(self) -> str:
        return f"VU(id={self[0]}, iteration={self[1]}, scenario={self[2]!r})"


def vu() -> VU:
    """The calling VU: a ``VU`` with ``id``, ``iteration`` and
    ``scenario``."""
    _runtime.require_live("barrage.vu()")
    info = _execution.vu()
    return VU(info.id, info.iteration, info.scenario)


class SummaryOutput:
    """What ``handle_summary`` returns: whether to print Barrage's own
    end-of-test summary too, and the reports to write.

    A path is relative to the directory ``barrage run`` runs in and may
    not leave it; ``"stdout"`` and ``"stderr"`` print the content
    instead. A content is a ``str``; ``bytes`` are decoded as UTF-8 and a
    dict or list is written as JSON::

        def handle_summary(summary):
            return SummaryOutput.builtin().file("reports/summary.json", summary)

    ``handle_summary`` may also return a plain dict of path to content,
    which replaces Barrage's summary as in k6 (``{"stdout": "..."}``
    prints it), or ``None``, which keeps Barrage's summary and writes
    nothing.
    """

    __slots__ = ("keep_builtin", "files")

    def __init__(self, files=None, keep_builtin: bool = False) -> None:
        #: Whether Barrage prints its own summary as well.
        self.keep_builtin = bool(keep_builtin)
        #: The reports, as (path, content) pairs in order.
        self.files = []
        if files:
            items = files.items() if hasattr(files, "items") else files
            for path, content in items:
                self.file(path, content)

    @classmethod
    def builtin(cls, files=None) -> "SummaryOutput":
        """Keeps Barrage's summary; ``files`` (a dict of path to content)
        and later ``file`` calls add reports."""
        return cls(files, keep_builtin=True)

    @classmethod
    def replace(cls, files=None) -> "SummaryOutput":
        """Prints only what the scenario returns, not Barrage's summary."""
        return cls(files, keep_builtin=False)

    def file(self, path: str, content) -> "SummaryOutput":
        """Adds a report: writes ``content`` to ``path``. Returns self."""
        if not isinstance(path, str) or not path:
            raise TypeError("a report's path must be a non-empty string")
        self.files.append((path, _report_text(path, content)))
        return self

    def stdout(self, content) -> "SummaryOutput":
        """Prints ``content`` on standard output. Returns self."""
        return self.file("stdout", content)

    def stderr(self, content) -> "SummaryOutput":
        """Prints ``content`` on standard error. Returns self."""
        return self.file("stderr", content)

    def __repr__(self) -> str:
        paths = [path for path, _ in self.files]
        return f"SummaryOutput(keep_builtin={self.keep_builtin}, files={paths!r})"


def _report_text(path: str, content) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, (bytes, bytearray)):
        return bytes(content).decode("utf-8", "replace")
    if isinstance(content, (dict, list)):
        return _json.dumps(content, indent=2, ensure_ascii=False) + "\n"
    raise TypeError(
        f"the report {path!r} must be str, bytes, a dict or a list, not {type(content).__name__}"
    )
