"""Hello, Barrage: the smallest useful scenario, in Python.

Every iteration fetches one page, checks that it answered 200 and then
thinks for a moment, like a user reading it. The scenario sets no
options of its own, so the number of VUs and the duration come from the
command line.

Variables, all optional:

- ``TARGET``: the URL to fetch; by default the built-in target server.
- ``SLEEP``: seconds to think after each request (default 1; 0 skips the
  pause entirely, for a closed loop as fast as the server allows).
"""

from barrage import check, env, http, sleep

target = "http://127.0.0.1:8080/"
pause = 1.0


def init():
    # Variables are read per VU, in init: the module's top level runs when
    # the scenario is built, where no variable is known yet.
    global target, pause
    target = env("TARGET", target)
    pause = float(env("SLEEP", pause))


def default():
    res = http.get(target)
    check(res, {"status is 200": lambda r: r.status == 200})
    if pause > 0:
        sleep(pause)
