"""A Python scenario for the tests: what ``MODE`` asks for.

- ``refused``: a request to a closed port; checks that the failure
  reaches the scenario as status 0 with k6's code and a message.
- ``throw``: the iteration raises.
"""

from barrage import check, env, http

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
