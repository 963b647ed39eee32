#!/usr/bin/env python3
"""Where a running barrage process's memory is: PSS by mapping, anonymous
mappings grouped by size (fiber stacks merge into 1-60 MiB runs, malloc
arenas into 60-200 MiB ones, VU memory reservations are >= 200 MiB).

    bench/smaps-breakdown.py PID
"""
import sys, re, collections
pid = sys.argv[1]
buckets = collections.defaultdict(lambda: [0, 0, 0])  # count, pss, size
cur = None
for line in open(f"/proc/{pid}/smaps"):
    m = re.match(r'^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$', line)
    if m:
        start, end = int(m.group(1), 16), int(m.group(2), 16)
        size = (end - start) >> 10
        name = m.group(4).strip()
        perms = m.group(3)
        if not name:
            if size >= 200 << 10: name = f"anon>=200MiB {perms}"
            elif size >= 60 << 10: name = f"anon 60-200MiB {perms}"
            elif size >= 1 << 10: name = f"anon 1-60MiB {perms}"
            else: name = f"anon <1MiB {perms}"
        cur = buckets[name]
        cur[0] += 1; cur[2] += size
    elif line.startswith("Pss:") and cur is not None:
        cur[1] += int(line.split()[1])
tot = sum(v[1] for v in buckets.values())
for k, v in sorted(buckets.items(), key=lambda kv: -kv[1][1])[:15]:
    print(f"{v[1]:>10} KiB pss {v[0]:>7} maps {v[2]:>12} KiB size  {k}")
print(f"{tot:>10} KiB total")
