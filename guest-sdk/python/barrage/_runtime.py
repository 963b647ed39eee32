"""Helpers shared by the SDK's modules; not part of the public API.

A Python scenario is built in two phases. At build time componentize-py
imports the scenario (and this SDK) and snapshots the interpreter; the
host is not there, and any call to one of its functions traps and fails
the build with an obscure message. At run time every VU starts from that
snapshot and the host calls the component's exports. The entry module
flips ``live`` on at the start of every export, and each function here
that calls the host checks it first, so that a host call made at import
time fails with a message that says what to do instead.
"""

from __future__ import annotations

import math
import re

#: Whether the host is there: false while the scenario is imported at
#: build time, true once the host has called any export.
live = False

#: The directory of this package, to tell the SDK's own frames from the
#: scenario's in tracebacks.
_SDK_DIR = __file__.rsplit("/", 1)[0] + "/"

_U32_MAX = 2**32 - 1


def require_live(what: str) -> None:
    """Raises ``RuntimeError`` when ``what`` is called at import time."""
    if not live:
        raise RuntimeError(
            f"{what}: not possible while scenario.py is imported. The module's "
            "top-level code runs once, when the scenario is built, where there "
            "is no host to call; do this in setup(), init(), default() or "
            "another function the host calls."
        )


def tag_list(tags, what: str = "tags") -> list:
    """Turns tags given as a dict or as (name, value) pairs into the list
    of string pairs the host takes. ``None`` is no tags."""
    if not tags:
        return []
    items = tags.items() if hasattr(tags, "items") else tags
    out = []
    try:
        for name, value in items:
            out.append((str(name), _tag_text(value)))
    except (TypeError, ValueError):
        raise TypeError(
            f"{what} must be a dict or a list of (name, value) pairs, "
            f"not {type(tags).__name__}"
        ) from None
    return out


def _tag_text(value) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ms|us|µs|ns|h|m|s|d)")
_UNIT_SECONDS = {
    "d": 86400.0,
    "h": 3600.0,
    "m": 60.0,
    "s": 1.0,
    "ms": 1e-3,
    "us": 1e-6,
    "µs": 1e-6,
    "ns": 1e-9,
}


def seconds(value, what: str) -> float:
    """Reads a duration: a number of seconds, a ``datetime.timedelta``, or
    a string with k6's units (``"1m30s"``, ``"500ms"``; a bare number in a
    string is seconds too)."""
    if isinstance(value, bool):
        raise TypeError(f"{what} must be a number of seconds or a string like '10s'")
    if isinstance(value, (int, float)):
        result = float(value)
    elif hasattr(value, "total_seconds"):
        result = float(value.total_seconds())
    elif isinstance(value, str):
        result = _parse_duration(value.strip(), what)
    else:
        raise TypeError(
            f"{what} must be a number of seconds or a string like '10s', "
            f"not {type(value).__name__}"
        )
    if math.isnan(result) or result < 0:
        raise ValueError(f"{what} must not be negative, got {value!r}")
    return result


def _parse_duration(text: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        pass
    total = 0.0
    at = 0
    for part in _DURATION_PART.finditer(text):
        if part.start() != at:
            break
        total += float(part.group(1)) * _UNIT_SECONDS[part.group(2)]
        at = part.end()
    if at == 0 or at != len(text):
        raise ValueError(f"{what}: {text!r} is not a duration; write e.g. '10s', '1m30s' or '500ms'")
    return total


def milliseconds_u32(value, what: str) -> int:
    """A duration as whole milliseconds (rounded up), within a u32."""
    ms = math.ceil(seconds(value, what) * 1000.0)
    return min(ms, _U32_MAX)


def _short_path(path: str) -> str:
    # componentize-py mounts each directory of the Python path as /0, /1,
    # ...: `/1/scenario.py` reads better as `scenario.py`.
    if path.startswith("/") and "/" in path[1:]:
        head, rest = path[1:].split("/", 1)
        if head.isdigit():
            return rest
    return path


def describe(error: BaseException, frames: int = 6) -> str:
    """One exception as the text of an export's error: its type and
    message, then the innermost frames of the scenario's own code (the
    SDK's frames are left out, and a frame repeated by recursion is shown
    once), innermost last as in a Python traceback.
    """
    runs = []  # [frame line, times in a row]
    tb = error.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if not code.co_filename.startswith(_SDK_DIR):
            line = f"  {_short_path(code.co_filename)}, line {tb.tb_lineno}, in {code.co_name}"
            if runs and runs[-1][0] == line:
                runs[-1][1] += 1
            else:
                runs.append([line, 1])
        tb = tb.tb_next
    lines = [_headline(error)]
    if len(runs) > frames:
        left_out = sum(times for _, times in runs[:-frames])
        lines.append(f"  ... {left_out} outer frames left out")
        runs = runs[-frames:]
    for line, times in runs:
        lines.append(line)
        if times > 1:
            lines.append(f"  [the line above repeated {times - 1} more times]")
    cause = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    if cause is not None:
        lines.append(f"  caused by {_headline(cause)}")
    return "\n".join(lines)


def _headline(error: BaseException) -> str:
    name = type(error).__name__
    message = str(error)
    return f"{name}: {message}" if message else name
