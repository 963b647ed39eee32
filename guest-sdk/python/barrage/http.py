"""HTTP requests, sent and measured by the host.

Every request is recorded in the built-in ``http_req_*`` metrics. A
failure to get any response (refused, reset, timed out, bad TLS, invalid
URL, ...) does not raise: it comes back as a ``Response`` with status 0
and the reason in ``error`` and ``error_code``, as in k6::

    from barrage import http

    res = http.get("http://127.0.0.1:8080/items", headers={"Accept": "application/json"})
    if res.ok:
        items = res.json()

    res = http.post(url, json={"name": "pen"}, tags={"step": "create"}, timeout="5s")
    created = res.raise_for_status().json()

Parameters every function takes as keywords:

``headers``
    A dict, or a list of (name, value) pairs when a name repeats.
``json``
    A value to send as the JSON body; sets ``Content-Type:
    application/json`` unless ``headers`` set one.
``tags``
    A dict of tags for this request's samples. A ``"name"`` tag is the
    same as ``name=``.
``name``
    Records the request under this name instead of its URL, as k6's
    ``name`` tag does: give it to URLs that differ only in ids, so that
    the summary and the outputs keep one series for all of them.
``timeout``
    The whole request's limit: a number of seconds (``2.5``), a string
    with a unit (``"10s"``, ``"500ms"``, ``"1m"``) or a
    ``datetime.timedelta``. The host's default is 60 seconds. Unlike
    k6, a bare number is seconds, as everywhere in Python.
``discard_body``
    ``True`` reads and counts the body but does not return it (the
    response's ``body`` is empty): less memory and time per request when
    only the status matters.
``response_type``
    k6's spelling of the same choice: ``"text"`` or ``"binary"`` (the
    default; the body is returned) or ``"none"`` (discarded).

A ``body`` may be ``str`` (sent as UTF-8), ``bytes``, or a ``dict``,
which is sent as an HTML form (``application/x-www-form-urlencoded``),
as k6 does with an object.
"""

from __future__ import annotations

import json as _json
import urllib.parse as _urlparse

from wit_world.imports import http as _wit

from . import _runtime

__all__ = [
    "request",
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "head",
    "options",
    "batch",
    "Request",
    "Response",
    "Headers",
    "Timings",
    "HTTPError",
]

_KEEP = _wit.BodyMode.KEEP
_DISCARD = _wit.BodyMode.DISCARD
_RESPONSE_TYPES = {None: False, "text": False, "binary": False, "none": True}


class HTTPError(Exception):
    """Raised by ``Response.raise_for_status()``; ``response`` is the
    response that failed."""

    def __init__(self, message: str, response: "Response") -> None:
        super().__init__(message)
        self.response = response


class Request:
    """One request, built but not sent: what ``batch`` takes, and what
    every function of this module builds and sends at once.

    The arguments are those of ``request()``; bad ones (a body of an
    unknown type, a value ``json`` cannot encode, an unknown
    ``response_type``) raise ``TypeError`` or ``ValueError`` here, before
    anything is sent.
    """

    __slots__ = ("method", "url", "_wit")

    def __init__(
        self,
        method: str,
        url: str,
        body=None,
        *,
        headers=None,
        json=None,
        tags=None,
        name: str | None = None,
        timeout=None,
        discard_body: bool = False,
        response_type: str | None = None,
    ) -> None:
        if not isinstance(method, str) or not method:
            raise TypeError("the method must be a non-empty string such as 'GET'")
        if not isinstance(url, str):
            raise TypeError(f"the URL must be a string, not {type(url).__name__}")
        header_list = _runtime.tag_list(headers, "headers")
        tag_list = _runtime.tag_list(tags)
        if name is None:
            for i, (key, value) in enumerate(tag_list):
                if key == "name":
                    name = value
                    del tag_list[i]
                    break
        elif not isinstance(name, str):
            raise TypeError("name must be a string")
        data = None
        if json is not None:
            if body is not None:
                raise TypeError("give either body or json, not both")
            try:
                data = _json.dumps(json, separators=(",", ":"), ensure_ascii=False).encode()
            except (TypeError, ValueError) as error:
                raise TypeError(f"the json value cannot be encoded: {error}") from None
            _default_header(header_list, "Content-Type", "application/json")
        elif body is not None:
            data = _encode_body(body, header_list)
        if response_type not in _RESPONSE_TYPES:
            raise ValueError(
                f"response_type must be 'text', 'binary' or 'none', not {response_type!r}"
            )
        discard = bool(discard_body) or _RESPONSE_TYPES[response_type]
        self.method = method
        self.url = url
        self._wit = _wit.Request(
            method=method,
            url=url,
            headers=header_list,
            body=data,
            timeout_ms=None if timeout is None else _runtime.milliseconds_u32(timeout, "timeout"),
            name=name,
            tags=tag_list,
            body_mode=_DISCARD if discard else _KEEP,
        )

    def send(self) -> "Response":
        """Sends the request and waits for its whole response."""
        _runtime.require_live("an HTTP request")
        return Response._from_wit(_wit.send(self._wit), self.method)

    def __repr__(self) -> str:
        return f"Request({self.method!r}, {self.url!r})"


def _default_header(header_list: list, name: str, value: str) -> None:
    lowered = name.lower()
    for key, _ in header_list:
        if key.lower() == lowered:
            return
    header_list.append((name, value))


def _encode_body(body, header_list: list) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    if isinstance(body, (bytearray, memoryview)):
        return bytes(body)
    if isinstance(body, dict):
        _default_header(header_list, "Content-Type", "application/x-www-form-urlencoded")
        return _urlparse.urlencode(body, doseq=True).encode()
    raise TypeError(
        f"a body must be str, bytes or a dict (a form), not {type(body).__name__}; "
        "send JSON with json=..."
    )


class Headers:
    """Response header fields in the order received; names may repeat.

    Lookups ignore case: ``res.headers["content-type"]`` is the first
    value of that field (``KeyError`` when absent), ``get(name, default)``
    the same without the error, and ``get_all(name)`` every value in
    order. Iterating yields each field name once; ``items()`` yields every
    (name, value) pair as received.
    """

    __slots__ = ("_pairs", "_index")

    def __init__(self, pairs) -> None:
        self._pairs = list(pairs)
        self._index = None

    def _lookup(self) -> dict:
        index = self._index
        if index is None:
            index = {}
            for key, value in self._pairs:
                index.setdefault(key.lower(), []).append(value)
            self._index = index
        return index

    def __getitem__(self, name: str) -> str:
        values = self._lookup().get(name.lower())
        if not values:
            raise KeyError(name)
        return values[0]

    def get(self, name: str, default=None):
        """The first value of the field ``name``, or ``default``."""
        values = self._lookup().get(name.lower())
        return values[0] if values else default

    def get_all(self, name: str) -> list:
        """Every value of the field ``name`` in order; empty when absent."""
        return list(self._lookup().get(name.lower(), ()))

    def __contains__(self, name) -> bool:
        return isinstance(name, str) and name.lower() in self._lookup()

    def __iter__(self):
        seen = set()
        for key, _ in self._pairs:
            lowered = key.lower()
            if lowered not in seen:
                seen.add(lowered)
                yield key

    def __len__(self) -> int:
        return len(self._lookup())

    def items(self) -> list:
        """Every (name, value) pair as received, repeats included."""
        return list(self._pairs)

    def __eq__(self, other) -> bool:
        if isinstance(other, Headers):
            return self._pairs == other._pairs
        return NotImplemented

    def __repr__(self) -> str:
        return f"Headers({self._pairs!r})"


class Timings:
    """How long each phase of a request took, in milliseconds, with k6's
    meanings. ``duration`` is ``sending + waiting + receiving``: what
    ``http_req_duration`` records."""

    __slots__ = (
        "blocked",
        "connecting",
        "tls_handshaking",
        "sending",
        "waiting",
        "receiving",
        "duration",
    )

    def __init__(self, t) -> None:
        #: Waiting for a free connection.
        self.blocked = t.blocked
        #: Establishing the TCP connection.
        self.connecting = t.connecting
        #: The TLS handshake.
        self.tls_handshaking = t.tls_handshaking
        #: Writing the request.
        self.sending = t.sending
        #: From the request sent to the first byte of the response.
        self.waiting = t.waiting
        #: Reading the response.
        self.receiving = t.receiving
        #: ``sending + waiting + receiving``.
        self.duration = t.duration

    def __repr__(self) -> str:
        fields = ", ".join(f"{key}={getattr(self, key):.3f}" for key in self.__slots__)
        return f"Timings({fields})"


class Response:
    """The answer to one request, or the reason there was none.

    Attributes:

    ``status``
        The HTTP status; 0 when no response arrived.
    ``url``
        The URL of the last request, after redirects.
    ``proto``
        ``"HTTP/1.1"``, ``"HTTP/2.0"``, or empty when no response arrived.
    ``headers``
        A ``Headers``, looked up ignoring case.
    ``body``
        The body as ``bytes``, up to the host's size cap; empty when the
        request discarded it.
    ``error``
        What went wrong, empty on success.
    ``error_code``
        k6's error code: 1000 generic, 1020 invalid URL, 1050 timeout,
        1100 DNS, 1200 TCP, 1211 dial timeout, 1212 refused, 1220 reset,
        1300 TLS, 1600 HTTP/2; 1000 + status for a 4xx or 5xx response;
        0 otherwise.
    ``timings``
        A ``Timings``: how long each phase took, in milliseconds.
    ``method``
        The method of the request this answers.
    """

    __slots__ = (
        "status",
        "url",
        "proto",
        "headers",
        "body",
        "error",
        "error_code",
        "timings",
        "method",
        "_text",
    )

    @classmethod
    def _from_wit(cls, r, method: str) -> "Response":
        self = cls.__new__(cls)
        self.status = r.status
        self.url = r.url
        self.proto = r.proto
        self.headers = Headers(r.headers)
        self.body = r.body
        self.error = r.error
        self.error_code = r.error_code
        self.timings = Timings(r.timings)
        self.method = method
        self._text = None
        return self

    @property
    def text(self) -> str:
        """The body decoded as text: in the charset the ``Content-Type``
        names, else UTF-8; undecodable bytes are replaced, not an error.
        A charset the interpreter has no codec for reads as UTF-8."""
        text = self._text
        if text is None:
            try:
                text = self.body.decode(self._charset(), "replace")
            except LookupError:
                text = self.body.decode("utf-8", "replace")
            self._text = text
        return text

    def _charset(self) -> str:
        kind = self.headers.get("content-type", "")
        for part in kind.split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.strip().lower() == "charset":
                return value.strip().strip('"') or "utf-8"
        return "utf-8"

    def json(self, **kwargs):
        """Parses the body as JSON; raises ``json.JSONDecodeError`` (a
        ``ValueError``) when it is not. Keyword arguments go to
        ``json.loads``."""
        return _json.loads(self.body, **kwargs)

    @property
    def ok(self) -> bool:
        """Whether a response arrived with a status below 400."""
        return 0 < self.status < 400

    def raise_for_status(self) -> "Response":
        """Returns the response when ``ok``; otherwise raises ``HTTPError``
        naming the request and its status or transport error. Chains::

            items = http.get(url).raise_for_status().json()
        """
        if self.ok:
            return self
        if self.status == 0:
            message = f"{self.method} {self.url} failed: {self.error or 'no response'}"
        else:
            message = f"{self.method} {self.url} answered with status {self.status}"
        raise HTTPError(message, self)

    def __repr__(self) -> str:
        if self.status == 0:
            return f"<Response [0] {self.url} error={self.error!r}>"
        return f"<Response [{self.status}] {self.url}>"


def request(method: str, url: str, body=None, **params) -> Response:
    """Sends a request with any method and returns its response. ``params``
    are the keywords described in this module's documentation."""
    return Request(method, url, body, **params).send()


def get(url: str, **params) -> Response:
    """Sends a ``GET`` request."""
    return Request("GET", url, None, **params).send()


def post(url: str, body=None, **params) -> Response:
    """Sends a ``POST`` request with an optional ``body`` (or ``json=``)."""
    return Request("POST", url, body, **params).send()


def put(url: str, body=None, **params) -> Response:
    """Sends a ``PUT`` request with an optional ``body`` (or ``json=``)."""
    return Request("PUT", url, body, **params).send()


def patch(url: str, body=None, **params) -> Response:
    """Sends a ``PATCH`` request with an optional ``body`` (or ``json=``)."""
    return Request("PATCH", url, body, **params).send()


def delete(url: str, body=None, **params) -> Response:
    """Sends a ``DELETE`` request with an optional ``body`` (or ``json=``)."""
    return Request("DELETE", url, body, **params).send()


def head(url: str, **params) -> Response:
    """Sends a ``HEAD`` request."""
    return Request("HEAD", url, None, **params).send()


def options(url: str, body=None, **params) -> Response:
    """Sends an ``OPTIONS`` request with an optional ``body``."""
    return Request("OPTIONS", url, body, **params).send()


def batch(requests):
    """Sends several requests in parallel on this VU's connections and
    waits for all of them.

    ``requests`` is a list (or a dict of name to request) whose items are
    any of:

    - a URL string: a ``GET``;
    - a tuple ``(method, url)``, ``(method, url, body)`` or
      ``(method, url, body, params)`` with ``params`` a dict of the
      keywords above;
    - a dict with ``method`` (default ``GET``), ``url``, optional
      ``body``, and the keywords either inline or in a ``params`` dict,
      as in k6;
    - a ``Request``.

    Returns the responses in the order of the requests: a list, or a dict
    with the same keys when ``requests`` was a dict::

        pages = http.batch([
            f"{base}/",
            ("GET", f"{base}/items", None, {"name": "items"}),
            {"method": "POST", "url": f"{base}/items", "json": {"name": "cup"}},
        ])
    """
    if isinstance(requests, dict):
        keys = list(requests)
        built = [_batch_item(requests[key]) for key in keys]
    else:
        keys = None
        built = [_batch_item(item) for item in requests]
    _runtime.require_live("barrage.http.batch()")
    answers = _wit.batch([item._wit for item in built]) if built else []
    responses = [Response._from_wit(r, item.method) for r, item in zip(answers, built)]
    if keys is None:
        return responses
    return dict(zip(keys, responses))


def _batch_item(item) -> Request:
    if isinstance(item, Request):
        return item
    if isinstance(item, str):
        return Request("GET", item)
    if isinstance(item, (tuple, list)):
        if not 2 <= len(item) <= 4:
            raise TypeError("a batch tuple is (method, url[, body[, params]])")
        method, url = item[0], item[1]
        body = item[2] if len(item) > 2 else None
        params = item[3] if len(item) > 3 and item[3] is not None else {}
        return Request(method, url, body, **params)
    if isinstance(item, dict):
        params = dict(item)
        nested = params.pop("params", None) or {}
        method = params.pop("method", "GET")
        try:
            url = params.pop("url")
        except KeyError:
            raise TypeError("a batch request given as a dict needs a 'url'") from None
        body = params.pop("body", None)
        params.update(nested)
        return Request(method, url, body, **params)
    raise TypeError(
        f"a batch request is a URL, a tuple, a dict or a Request, not {type(item).__name__}"
    )
