"""The component's entry point: the module ``barrage build`` hands to
componentize-py (``barrage._entry``). Not part of the public API.

componentize-py imports this module at build time and looks in it for
the class ``WitWorld``, whose methods implement the exports of the WIT
world ``scenario``. Importing it imports the user's module ``scenario``,
checks what can be checked before the test runs (the options encode as
JSON; the functions they name exist), and snapshots the result. At run
time each method forwards one export to the user's function of the same
name, and turns any exception into the export's error string: a Python
exception never traps the component.
"""

from __future__ import annotations

import json as _json

import wit_world as _world
from componentize_py_types import Err as _Err
from wit_world.imports import types as _types

from . import SummaryOutput, _runtime, _snapshot
from . import http as _http

try:
    import scenario as _user
except ModuleNotFoundError as _missing:
    if _missing.name != "scenario":
        raise
    raise ImportError(
        "no module `scenario` to build: the project directory must hold "
        "scenario.py (or a package scenario/)"
    ) from None

def _user_options():
    options = getattr(_user, "options", None)
    # `from barrage.http import *` brings in the function http.options.
    return None if options is _http.options else options


def _options_json() -> str:
    options = _user_options()
    if options is None:
        return ""
    if isinstance(options, str):
        return options
    try:
        return _json.dumps(options)
    except (TypeError, ValueError) as error:
        raise TypeError(f"scenario.py: `options` cannot be encoded as JSON: {error}") from None


def _exec_names() -> list:
    options = _user_options()
    scenarios = options.get("scenarios") if isinstance(options, dict) else None
    if not isinstance(scenarios, dict) or not scenarios:
        return ["default"]
    names = []
    for config in scenarios.values():
        name = config.get("exec", "default") if isinstance(config, dict) else "default"
        if name not in names:
            names.append(name)
    return names


def _user_function(name: str):
    function = getattr(_user, name, None) if not name.startswith("_") else None
    return function if callable(function) else None


def _check_module() -> None:
    for name in ["setup", "init", "teardown", "handle_summary"] + _exec_names():
        function = _user_function(name)
        code = getattr(function, "__code__", None)
        if code is not None and code.co_flags & 0x280:  # async def, async generator
            raise TypeError(
                f"scenario.py: `{name}` is async; scenario functions must be plain "
                "functions (use http.batch for parallel requests)"
            )
    for name in _exec_names():
        if _user_function(name) is None:
            if name == "default":
                raise TypeError(
                    "scenario.py has no function `default`: define `def default(data):`, "
                    "which runs each iteration, or name other functions with `exec` in "
                    "options['scenarios']"
                )
            raise TypeError(
                f"scenario.py has no function `{name}`, which options['scenarios'] "
                "names as an `exec`"
            )


_OPTIONS = _options_json()
_check_module()

# Per VU (each VU is its own instance): the setup data, decoded once.
_data = None
# Scenario functions by exec name, with whether each takes the data.
_callables: dict = {}


def _takes_argument(function) -> bool:
    # A decorated function (say with @group) takes what the function it
    # wraps takes.
    for _ in range(100):
        inner = getattr(function, "__wrapped__", None)
        if inner is None:
            break
        function = inner
    code = getattr(function, "__code__", None)
    if code is None:
        call = getattr(function, "__call__", None)
        code = getattr(call, "__code__", None)
        if code is None:
            return True
        bound = 1
    else:
        bound = 1 if getattr(function, "__self__", None) is not None else 0
    if code.co_flags & 0x04:  # *args
        return True
    return code.co_argcount - bound >= 1


def _call(function, *args):
    """Calls a scenario function with as many of ``args`` as it takes."""
    result = function(*args) if args and _takes_argument(function) else function()
    if hasattr(result, "__await__"):
        _reject_async(function, result)
    return result


def _reject_async(function, result) -> None:
    close = getattr(result, "close", None)
    if close is not None:
        close()
    raise TypeError(
        f"{getattr(function, '__name__', 'the function')} is async; "
        "scenario functions must be plain functions"
    )


def _decode_data(text: str):
    if not text:
        return None
    try:
        return _json.loads(text)
    except ValueError:
        return text


def _fail(error: BaseException) -> _Err:
    return _Err(_runtime.describe(error))


def _summary_output(result) -> _types.SummaryOutput:
    if result is None:
        return _types.SummaryOutput(builtin=True, files=[])
    if isinstance(result, SummaryOutput):
        output = result
    elif isinstance(result, dict):
        output = SummaryOutput.replace(result)
    else:
        raise TypeError(
            "handle_summary must return a SummaryOutput, a dict of path to content, "
            f"or None, not {type(result).__name__}"
        )
    return _types.SummaryOutput(builtin=output.keep_builtin, files=list(output.files))


class WitWorld(_world.WitWorld):
    """The exports of the world ``scenario``, forwarded to ``scenario.py``."""

    def options(self) -> str:
        _runtime.live = True
        return _OPTIONS

    def setup(self) -> str:
        _runtime.live = True
        function = _user_function("setup")
        if function is None:
            return ""
        try:
            data = _call(function)
        except BaseException as error:
            raise _fail(error) from None
        if data is None:
            return ""
        try:
            return _json.dumps(data)
        except (TypeError, ValueError) as error:
            raise _Err(f"setup() returned data that cannot be encoded as JSON: {error}") from None

    def init(self, setup_data: str) -> None:
        global _data
        _runtime.live = True
        _data = _decode_data(setup_data)
        function = _user_function("init")
        if function is None:
            return
        try:
            _call(function, _data)
        except BaseException as error:
            raise _fail(error) from None

    def iteration(self, exec: str) -> None:
        _runtime.live = True
        entry = _callables.get(exec)
        if entry is None:
            function = _user_function(exec)
            if function is None:
                raise _Err(f"scenario.py has no function `{exec}` to run as an iteration")
            entry = (function, _takes_argument(function))
            _callables[exec] = entry
        function, takes_data = entry
        try:
            result = function(_data) if takes_data else function()
            if hasattr(result, "__await__"):
                _reject_async(function, result)
        except BaseException as error:
            raise _fail(error) from None

    def teardown(self, setup_data: str) -> None:
        _runtime.live = True
        function = _user_function("teardown")
        if function is None:
            return
        try:
            _call(function, _decode_data(setup_data))
        except BaseException as error:
            raise _fail(error) from None

    def handle_summary(self, summary: str) -> _types.SummaryOutput:
        _runtime.live = True
        function = _user_function("handle_summary")
        if function is None:
            return _types.SummaryOutput(builtin=True, files=[])
        try:
            return _summary_output(function(_json.loads(summary)))
        except BaseException as error:
            raise _fail(error) from None


# Last: everything alive now is in the component's image.
_snapshot.mark()
