"""A Python scenario for the tests: what ``MODE`` asks for.

- ``refused``: a request to a closed port; checks that the failure
  reaches the scenario as status 0 with k6's code and a message.
- ``throw``: the iteration raises.
- ``immortal``: the objects of the build's heap are immortal (their
  reference counts never change, so a VU never writes their pages); an
  object a VU makes is not, and is freed as usual; and what a VU
  allocates goes past the build's heap, not into its free blocks.
"""

import sys
import weakref

from barrage import _snapshot, check, env, http

mode = "refused"


def init():
    global mode
    mode = env("MODE", mode)


def default():
    if mode == "refused":
        res = http.get("http://127.0.0.1:1/")
        check(res, {
            "refusal is status 0": lambda r: r.status == 0,
            "refusal carries an error": lambda r: len(r.error) > 0 and r.error_code == 1212,
        })
    elif mode == "throw":
        raise ValueError("raised on purpose")
    elif mode == "immortal":
        fresh = Fresh()
        gone = weakref.ref(fresh)
        fresh_count = sys.getrefcount(fresh)
        del fresh
        new = [float(i) + 0.25 for i in range(16)]
        new += [bytes(n) for n in (8, 40, 100, 200, 400) for _ in range(4)]
        past = sum(id(x) > _snapshot._top for x in new) / len(new)
        check(None, {
            "the image's objects are immortal": lambda _: min(
                sys.getrefcount(default), sys.getrefcount(Fresh), sys.getrefcount(mode_names)
            ) >= 2**30,
            "a VU's own objects are counted and freed": lambda _: fresh_count < 10
            and gone() is None,
            "a VU's new objects go past the image": lambda _: past >= 0.75,
        })


class Fresh:
    pass


mode_names = ("refused", "throw", "immortal")
