"""A real HTTP server on 127.0.0.1 standing in for the news web: pages, feeds, robots.txt, and the
slow, broken, huge and redirecting answers that real sites give."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DATA = Path(__file__).parent / "data"

PAGE = """<html lang="en"><head><title>{title} | Daily Example</title>
<meta property="og:site_name" content="Daily Example">
<link rel="canonical" href="{canonical}">
<meta property="article:published_time" content="2024-05-0{day}T10:00:00Z"></head>
<body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>{title}</h1>
<p>{lead}</p>
<p>Officials said the work would continue through the week, and that residents of the affected
districts should follow the instructions of the emergency services at all times.</p>
<p>Share this article with your friends on social media</p>
</article><footer>Copyright Daily Example</footer></body></html>"""

STORIES = {
    "/news/bridge.html": (
        "Bridge closed after river floods",
        "The old bridge over the river was closed on Monday after floodwater damaged its supports, the city council said.",
        1,
    ),
    "/news/school.html": (
        "New school opens in the north",
        "A new primary school opened in the northern district on Tuesday with places for four hundred pupils, the education office said.",
        2,
    ),
    "/news/market.html": (
        "Market fire destroys twenty stalls",
        "A fire at the central market destroyed twenty stalls overnight, though nobody was hurt, the fire brigade said on Wednesday.",
        3,
    ),
}


def feed_xml(base: str, paths: list[str]) -> str:
    items = "".join(
        f"<item><title>{STORIES[p][0]}</title><link>{base}{p}</link><guid>{base}{p}</guid>"
        f"<description>{STORIES[p][1]}</description></item>"
        for p in paths
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Daily Example</title>'
        f"<link>{base}/</link>{items}</channel></rss>"
    )


class NewsServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[tuple[str, dict[str, str], float]] = []
        self.feed_paths = list(STORIES)
        self.feed_etag = '"v1"'
        self.flaky_left = 1
        self.robots_status = 200
        self.robots_moved = False

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def hits(self, path: str) -> int:
        return sum(1 for p, _, _ in self.requests if p == path)


class _Handler(BaseHTTPRequestHandler):
    server: NewsServer

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        self.server.requests.append((self.path, dict(self.headers), time.monotonic()))
        base = self.server.base
        path = self.path
        if path == "/robots.txt":
            if self.server.robots_moved:
                return self._redirect("/moved/robots.txt")
            if self.server.robots_status != 200:
                return self._send(self.server.robots_status, b"", "text/plain")
            return self._send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
        if path == "/moved/robots.txt":
            return self._send(200, b"User-agent: *\nDisallow: /news/\n", "text/plain")
        if path in STORIES:
            title, lead, day = STORIES[path]
            body = PAGE.format(title=title, lead=lead, day=day, canonical=f"{base}{path}?utm_source=rss#top")
            return self._send(200, body.encode(), "text/html; charset=utf-8")
        if path == "/feed.rss":
            if self.headers.get("If-None-Match") == self.server.feed_etag:
                return self._send(304, b"", "application/rss+xml", etag=self.server.feed_etag)
            body = feed_xml(base, self.server.feed_paths).encode()
            return self._send(200, body, "application/rss+xml", etag=self.server.feed_etag)
        if path == "/page.html" or path == "/private/page.html":
            return self._send(200, (DATA / "page.html").read_bytes(), "text/html")
        if path == "/slow":
            time.sleep(2)
            return self._send(200, b"<html>late</html>", "text/html")
        if path == "/huge":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            chunk = b"<p>" + b"x" * 65536 + b"</p>"
            try:
                for _ in range(64):  # 4 MB, no Content-Length: the limit must hold while streaming
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return None
        if path == "/loop":
            return self._redirect("/loop")
        if path == "/hop":
            return self._redirect("/news/bridge.html")
        if path == "/to-metadata":
            return self._redirect("http://169.254.169.254/latest/meta-data/")
        if path == "/image.png":
            return self._send(200, b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "image/png")
        if path == "/flaky":
            if self.server.flaky_left > 0:
                self.server.flaky_left -= 1
                return self._send(503, b"busy", "text/plain", extra={"Retry-After": "0"})
            return self._send(200, (DATA / "page.html").read_bytes(), "text/html")
        if path == "/broken":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"<html><body><p>cut off")
            self.wfile.flush()
            self.connection.close()
            return None
        return self._send(404, b"not found", "text/plain")

    def _send(self, status: int, body: bytes, ctype: str, etag: str = "", extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Last-Modified", formatdate(usegmt=True))
        if etag:
            self.send_header("ETag", etag)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if status != 304:
            self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()


@contextmanager
def running_news_server() -> Iterator[NewsServer]:
    """A ``NewsServer`` answering in a background thread for the duration of the block."""
    server = NewsServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
