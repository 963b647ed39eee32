"""A user's journey, in Python: log in, list the items, create one.

This scenario shows the parts of Barrage a real test leans on:

- groups (``login``, ``list``, ``create``), so the summary breaks results
  down by step;
- JSON bodies in both directions, and a bearer token carried from one
  request to the next;
- checks on every response;
- custom metrics: the time trend ``flow_create_duration``, fed from the
  create request's own timings, and the counter ``items_created``;
- ``name=``: the list request carries a cache-busting query parameter, so
  that no cache in front of the server can answer for it, and the name
  keeps those thousands of distinct URLs one line in the summary.

Each VU logs in once, in ``init``, and reuses its token: a real user logs
in once per session, not before every click, and a login that fails then
fails the VU's start loudly instead of every iteration.

Variables, all optional:

- ``TARGET``: the base URL; by default the built-in target server.
- ``SLEEP``: seconds to think at the end of each iteration (default 1; 0
  skips the pause).
"""

from barrage import Counter, Trend, check, env, group, http, log, sleep, vu

# Metrics are created here, at the top level, and defined with the host
# on their first sample.
create_duration = Trend("flow_create_duration", is_time=True)
items_created = Counter("items_created")

# This VU's session, filled in by init.
base = "http://127.0.0.1:8080"
auth = ""
pause = 1.0


def init():
    global base, auth, pause
    base = env("TARGET", base).rstrip("/")
    pause = float(env("SLEEP", pause))
    with group("login"):
        credentials = {"username": f"vu-{vu().id}", "password": "secret"}
        res = http.post(f"{base}/login", json=credentials)
        check(res, {"login status is 200": lambda r: r.status == 200})
        token = res.raise_for_status().json()["token"]
    auth = f"Bearer {token}"


def default():
    with group("list"):
        list_items()
    with group("create"):
        create_item()
    if pause > 0:
        sleep(pause)


def is_item_list(value):
    return isinstance(value, list) and all(
        isinstance(item, dict)
        and type(item.get("id")) is int
        and item["id"] >= 0
        and isinstance(item.get("name"), str)
        for item in value
    )


def list_items():
    me = vu()
    res = http.get(
        f"{base}/items?fresh={me.id}-{me.iteration}",
        name=f"{base}/items?fresh={{vu}}-{{iteration}}",
        headers={"Authorization": auth},
    )
    check(res, {
        "list status is 200": lambda r: r.status == 200,
        "list is a JSON array of items": lambda r: is_item_list(r.json()),
    })


def create_item():
    """Creates an item. A failed create fails the iteration: it is the step
    this flow exists to measure."""
    me = vu()
    name = f"pen from vu-{me.id} #{me.iteration}"
    res = http.post(f"{base}/items", json={"name": name}, headers={"Authorization": auth})
    create_duration.add(res.timings.duration)
    check(res, {"create status is 201": lambda r: r.status == 201})
    item = res.raise_for_status().json()
    check(item, {"created item has the name sent": lambda item: item["name"] == name})
    items_created.add(1)
    log.debug(f"created item {item['id']}")
