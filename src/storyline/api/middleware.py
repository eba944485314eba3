"""ASGI middleware of ``storyline serve``: body limits, NUL refusal, security headers, and the
cache of read answers keyed by the store's change counter."""

import json
from collections import OrderedDict

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..store import Store

# Pages may load only this site's own stylesheet, script and images; nothing may frame them.
# The OpenAPI docs pages are exempt: FastAPI builds them from Swagger UI and ReDoc bundles.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self';"
    " form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_DOCS_PATHS = ("/docs", "/redoc")


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, whether or not they declare a length."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared and declared.isdigit() and int(declared) > self.limit:
            await _send_error(send, 413, self._reason)
            return
        received = 0
        refused = False

        # Answer 413 the moment the count passes the limit, and tell the application the client
        # left: raising here instead would reach FastAPI's body parser, which turns any error
        # into "400 error parsing the body".
        async def counted() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                refused = True
                await _send_error(send, 413, self._reason)
                return {"type": "http.disconnect"}
            return message

        async def unless_refused(message: Message) -> None:
            if not refused:
                await send(message)

        await self.app(scope, counted, unless_refused)

    @property
    def _reason(self) -> str:
        return f"request body over {self.limit} bytes"


class RefuseNul:
    """Answer 400 to a URL with a NUL character in its path or query: PostgreSQL cannot compare
    text holding NUL (it would be a 500), and SQLite's LIKE stops at it (a search for it matched
    every event). No stored text holds NUL (the store drops it), so nothing is lost."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and ("\x00" in scope["path"] or b"%00" in scope["query_string"]):
            await _send_error(send, 400, "NUL characters are not allowed in URLs")
            return
        await self.app(scope, receive, send)


async def _send_error(send: Send, status: int, message: str) -> None:
    """A JSON error answer from ASGI middleware, in the shape of the application's own errors."""
    body = json.dumps({"error": {"status": status, "message": message}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """Add the CSP and related headers to every response (except the interactive docs)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"].startswith(_DOCS_PATHS)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"x-frame-options", b"DENY"),
                ]
                if not docs:
                    headers.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class ReadCache:
    """Answers to reads kept in this process, keyed by the request and the store's change counter.

    Any write that changes what the store shows (an article stored, a slice of an event
    rebuild) moves the counter, and every kept answer is stale from that moment: no answer is
    ever older than the last write. Kept: 200 answers to GET on the pages and their JSON twins
    (``/``, ``/events``, ``/stories``, an event, a story, an article, ``/updates``) and the feeds,
    never jobs, health or the docs; and only while reads are open (with ``--private`` a key must be checked first).
    """

    PATHS = ("/events", "/stories", "/articles/", "/updates")
    # A conditional GET of a feed is answered 304 or not by the feed's validators, which a kept
    # 200 would hide; it is cheap to answer afresh (no feed is built for a 304).
    CONDITIONS = (b"if-none-match", b"if-modified-since")

    def __init__(self, app: ASGIApp, store: Store, entries: int) -> None:
        self.app = app
        self.store = store
        self.entries = entries
        self._answers: OrderedDict[tuple, tuple[dict, bytes]] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        headers = dict(scope.get("headers", []))
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not (path == "/" or path.startswith(self.PATHS))
            or any(name in headers for name in self.CONDITIONS)
        ):
            await self.app(scope, receive, send)
            return
        html = b"text/html" in headers.get(b"accept", b"")
        # One indexed row: reading it costs a small part of answering.
        key = (self.store.change_count(), path, scope["query_string"], html)
        if (kept := self._answers.get(key)) is not None:
            self._answers.move_to_end(key)
            start, body = kept
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        start: dict = {}
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body") and start.get("status") == 200:
                    self._keep(key, start, b"".join(chunks))
            await send(message)

        await self.app(scope, receive, keep)

    def _keep(self, key: tuple, start: dict, body: bytes) -> None:
        self._answers[key] = (start, body)
        while len(self._answers) > self.entries:
            self._answers.popitem(last=False)
