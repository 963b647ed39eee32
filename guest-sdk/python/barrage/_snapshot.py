"""What ``barrage build`` needs to know about the heap it snapshots. Not
part of the public API.

componentize-py runs the module ``barrage._entry`` once, at build time,
and makes the memory it leaves the component's image, which every VU maps
copy-on-write. A VU then pays for each page it writes, and CPython writes
a page each time it touches an object on it: the reference count sits in
the object's first word. Objects CPython marks immortal have counts it
never changes.

``mark()`` lists every object alive at the end of the build's run (the
interpreter's, the SDK's and the scenario's) and keeps them all alive, so
that ``barrage build`` can give each the immortal count in the image
(host/src/build/python.rs). The list is a buffer in the heap, found by
its header: a 16-byte tag, CPython's version (``0x030E`` for 3.14), the
number of objects, then their addresses (``id()``), all little-endian
32-bit words.
"""

from __future__ import annotations

import gc
import sys

# The tag ("BARRAGE-IMMORTAL"), stored XOR 0x5A so that the heap holds it
# only in the buffer.
_TAG_XOR = b"\x18\x1b\x08\x08\x1b\x1d\x1f\x77\x13\x17\x17\x15\x08\x0e\x1b\x16"

# Above this many objects (that the collector tracks) the heap stays as it
# is. Listing takes about 40 bytes an object while it runs, and
# componentize-py refuses to snapshot a memory past a size of its own: a
# scenario that loads a large data set at its top level must still build.
MOST_OBJECTS = 250_000

# Everything the list names, which this list keeps alive for as long as
# the image is: the build writes to each object's first word, which must
# never have been freed.
_kept = None
_buffer = None


def mark() -> None:
    """Lists the live objects for ``barrage build``, where it can make them
    immortal: CPython 3.14 in 32-bit WebAssembly only, whose layout the
    build knows."""
    global _kept, _buffer, _top, _fill
    if sys.implementation.name != "cpython" or sys.version_info[:2] != (3, 14):
        return
    if sys.maxsize != 2**31 - 1:
        return
    gc.collect()
    pending = gc.get_objects()
    if len(pending) > MOST_OBJECTS:
        return
    seen: dict = {}
    skip = {id(seen), id(pending)}
    skip.add(id(skip))
    while pending:
        obj = pending.pop()
        key = id(obj)
        if key in seen or key in skip:
            continue
        seen[key] = obj
        pending.extend(gc.get_referents(obj))
        if type(obj) is _CODE:
            # Code objects do not list what they refer to.
            code = obj
            pending.extend(
                (
                    code.co_consts,
                    code.co_names,
                    code.co_filename,
                    code.co_name,
                    code.co_qualname,
                    code.co_linetable,
                    code.co_exceptiontable,
                )
            )
            pending.extend(code.co_varnames)
            pending.extend(code.co_cellvars)
            pending.extend(code.co_freevars)
    kept = list(seen.values())
    del seen, pending
    buffer = bytearray(24 + 4 * len(kept))
    for i, b in enumerate(_TAG_XOR):
        buffer[i] = b ^ 0x5A
    words = memoryview(buffer).cast("I")
    words[4] = 0x030E
    words[5] = len(kept)
    for i, obj in enumerate(kept):
        words[6 + i] = id(obj)
    words.release()
    _kept, _buffer = kept, buffer
    _top = max(id(o) for o in kept)
    gc.collect()
    _fill = _fill_holes(_top)
    # Collections would write the collector's header of every object;
    # these are never garbage.
    gc.freeze()


# The highest address of an object listed, and the objects that filled
# the free blocks below it.
_top = 0
_fill = None

# The most memory the filling may take.
FILL_LIMIT = 8 << 20


def _fill_holes(top: int) -> list:
    """Fills the free blocks the build's run left below ``top`` with
    objects kept alive, so that a VU's new objects go past the image
    instead of into blocks scattered over pages it would copy, one page
    for each. The allocators fill a request from a free block of the
    request's size or larger before new memory: each size is asked for
    until its blocks come from above ``top``."""
    fillers = []
    total = 0
    for size in [*range(16, 513, 16), 1024, 4096]:
        above = 0
        i = 0
        while above < 32 and total < FILL_LIMIT:
            filler = float(i) + 0.5 if size == 16 else bytes(size - 24)
            fillers.append(filler)
            total += size
            above = above + 1 if id(filler) > top else 0
            i += 1
    return fillers


_CODE = type(mark.__code__)
