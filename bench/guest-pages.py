#!/usr/bin/env python3
"""The pages of one VU's guest memory that the VU wrote itself (private,
not the shared copy-on-write image), as runs of offsets from the
mapping's start: which parts of a language runtime's heap each VU dirties.
The memory image must be mapped from the compile cache (large components).

    bench/guest-pages.py PID cwasm
"""
import sys, re, struct
pid, pat = sys.argv[1], sys.argv[2]
maps = []
for line in open(f"/proc/{pid}/maps"):
    m = re.match(r'^([0-9a-f]+)-([0-9a-f]+) (\S+) ([0-9a-f]+) \S+ \S+\s*(.*)$', line)
    s, e, perms, off, name = int(m[1],16), int(m[2],16), m[3], int(m[4],16), m[5]
    maps.append((s, e, perms, off, name))
# find VU memory reservations: a mapping of the cwasm with rw-p perms; group by preceding/following
pm = open(f"/proc/{pid}/pagemap", "rb")
shown = 0
for i, (s, e, perms, off, name) in enumerate(maps):
    if pat in name and 'rw' in perms:
        # region: this mapping and the following anon rw mappings adjacent
        pm.seek((s >> 12) * 8)
        data = pm.read(((e - s) >> 12) * 8)
        ents = struct.unpack(f"{len(data)//8}Q", data)
        anon = [j for j, v in enumerate(ents) if (v >> 63) & 1 and not (v >> 61) & 1]
        # ranges
        rngs = []
        for j in anon:
            if rngs and rngs[-1][1] == j - 1: rngs[-1][1] = j
            else: rngs.append([j, j])
        print(f"map {s:x}-{e:x} fileoff {off:x} pages {len(ents)} private-dirty {len(anon)} ranges:",
              [(hex(a*4096), (b-a+1)*4) for a, b in rngs][:40])
        # next adjacent mapping(s)
        for (s2, e2, p2, o2, n2) in maps[i+1:i+3]:
            pm.seek((s2 >> 12) * 8); d2 = pm.read(min(((e2 - s2) >> 12), 1<<16) * 8)
            ents2 = struct.unpack(f"{len(d2)//8}Q", d2)
            print(f"   next {s2:x}-{e2:x} {p2} '{n2}' present {sum(1 for v in ents2 if (v>>63)&1)} pages of {len(ents2)}")
        shown += 1
        if shown >= 2: break
