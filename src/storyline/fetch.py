"""Download pages and feeds politely and safely: the only module that opens network connections.

Safety: every connection goes through ``GuardedBackend``, which resolves the host name itself and
refuses loopback, private, link-local, carrier-grade NAT, multicast and cloud-metadata addresses
(anything not globally routable) before connecting to the very address it checked. Checking at
connect time covers every redirect hop and leaves no gap for DNS rebinding between a check and
the connection. ``allow_private`` lifts the rule (tests against 127.0.0.1, an intranet feed).

Politeness: a clear user agent, robots.txt obeyed (RFC 9309: 4xx means no rules, an unreachable
robots.txt means stay away), at most ``per_host_concurrency`` requests to one host at once, one
start per ``per_host_interval`` seconds, retries with exponential backoff honouring Retry-After.

Bounds: timeouts, a redirect limit, a body size limit enforced while streaming, and a content-type
check, so that a hostile or broken server costs one failure line, never the batch.
"""

from __future__ import annotations

import email.utils
import ipaddress
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpcore
import httpx

from .config import FetchSettings
from .errors import InputError

HTML_TYPES = ("text/html", "application/xhtml+xml")
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml", "application/rdf+xml")
_RETRY_STATUSES = {429, 500, 502, 503, 504}
_REDIRECT_STATUSES = {301, 302, 303, 307, 308}
_CHUNK_BYTES = 64 * 1024


class AddressRefused(httpx.TransportError):
    """The host resolves to an address storyline will not connect to."""


def is_public_address(address: str) -> bool:
    """Whether ``address`` is globally routable (IPv4-mapped IPv6 judged by its IPv4 part).

    ``is_global`` is False for loopback, RFC 1918, link-local (169.254.169.254, the cloud
    metadata service), 100.64/10 (Alibaba's 100.100.100.200), ULA (fd00:ec2::254) and reserved
    ranges alike, which is the set a fetcher must never reach on a feed author's say-so.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's network backend, but it resolves names itself and connects only to vetted addresses."""

    def __init__(self, allow_private: bool, allowed_networks: tuple[str, ...] = ()) -> None:
        self.allow_private = allow_private
        self.allowed_networks = [ipaddress.ip_network(n, strict=False) for n in allowed_networks]

    def allows(self, address: str) -> bool:
        if self.allow_private or is_public_address(address):
            return True
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        return any(ip in network for network in self.allowed_networks)

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise httpcore.ConnectError(f"cannot resolve {host} ({exc.strerror})") from None
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
        refused = [a for a in addresses if not self.allows(a)]
        if refused:
            raise AddressRefused(f"{host} resolves to non-public address {refused[0]} (use --allow-private)")
        last_error: Exception | None = None
        for address in addresses:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        raise last_error or httpcore.ConnectError(f"cannot connect to {host}")


@dataclass
class Fetched:
    """One HTTP answer that passed every check."""

    url: str  # as asked
    final_url: str  # after redirects
    status: int
    content: bytes = b""
    content_type: str = ""
    etag: str = ""
    last_modified: str = ""

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def kind(self) -> str:
        """ "html" or "feed", from the content type (or the first bytes when the server says nothing useful)."""
        if self.content_type in FEED_TYPES:
            return "feed"
        if self.content_type in HTML_TYPES:
            return "html"
        head = self.content[:512].lstrip().lower()
        return "feed" if head.startswith(b"<?xml") and b"<html" not in head else "html"


@dataclass
class _HostGate:
    """Per-host politeness: a cap on open requests and a minimum gap between starts."""

    slots: threading.Semaphore
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_start: float = 0.0


class Fetcher:
    """An HTTP client with storyline's safety and politeness rules; use as a context manager."""

    def __init__(self, settings: FetchSettings = FetchSettings()) -> None:
        self.settings = settings
        transport = httpx.HTTPTransport(retries=0)
        # httpx has no public hook for the network backend; the guard must sit at connect time.
        transport._pool._network_backend = GuardedBackend(settings.allow_private, settings.allowed_networks)
        self.client = httpx.Client(
            transport=transport,
            headers={"User-Agent": settings.user_agent},
            timeout=httpx.Timeout(settings.timeout),
            follow_redirects=False,
            trust_env=False,  # a proxy would connect on our behalf, out of the guard's sight
        )
        self._gates: dict[str, _HostGate] = {}
        self._gates_lock = threading.Lock()
        self._robots: dict[str, RobotFileParser | str] = {}
        self._robots_lock = threading.Lock()
        self._slots = threading.Semaphore(settings.concurrency)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def fetch(
        self, url: str, accept: tuple[str, ...] = HTML_TYPES + FEED_TYPES, etag: str = "", last_modified: str = ""
    ) -> Fetched:
        """GET ``url`` following redirects; raise ``InputError`` naming ``url`` and the reason.

        ``etag``/``last_modified`` make it a conditional GET: an unchanged resource comes back as
        a ``Fetched`` with status 304 and no content.
        """
        headers = {"Accept": ", ".join(accept) + ", */*;q=0.1"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url
        for _ in range(self.settings.max_redirects + 1):
            _check_scheme(url, current)
            self._check_robots(url, current)
            response = self._request(url, current, headers)
            if response.status_code in _REDIRECT_STATUSES and "location" in response.headers:
                current = _redirect_target(url, current, response.headers["location"])
                continue
            if response.status_code == 304:
                return Fetched(url, current, 304, etag=etag, last_modified=last_modified)
            if response.status_code != 200:
                raise InputError(url, f"HTTP {response.status_code} {response.reason_phrase}".rstrip())
            content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type and content_type not in accept and content_type != "text/plain":
                raise InputError(url, f"unexpected content type {content_type}")
            return Fetched(
                url,
                current,
                200,
                content=response.content,
                content_type=content_type,
                etag=response.headers.get("etag", ""),
                last_modified=response.headers.get("last-modified", ""),
            )
        raise InputError(url, f"more than {self.settings.max_redirects} redirects")

    def fetch_many(
        self, urls: Iterable[str], accept: tuple[str, ...] = HTML_TYPES + FEED_TYPES
    ) -> Iterator[tuple[str, Fetched | InputError]]:
        """Fetch ``urls`` concurrently (within the per-host limits); results in input order."""
        with ThreadPoolExecutor(self.settings.concurrency) as pool:
            futures = [(url, pool.submit(self._fetch_or_error, url, accept)) for url in urls]
            for url, future in futures:
                yield url, future.result()

    def _fetch_or_error(self, url: str, accept: tuple[str, ...]) -> Fetched | InputError:
        try:
            return self.fetch(url, accept)
        except InputError as exc:
            return exc

    def _request(self, url: str, current: str, headers: dict[str, str]) -> httpx.Response:
        """One GET with retries, within the host's limits; the body read up to the size limit."""
        delay = self.settings.backoff
        attempts_left = self.settings.retries
        while True:
            try:
                with self._slots, self._gate(current):
                    response = self._get_bounded(url, current, headers)
            except AddressRefused as exc:
                raise InputError(url, f"refused: {exc}") from None
            except (httpx.InvalidURL, UnicodeError) as exc:
                # A host name no resolver can encode (an empty or 64+ character label, bad IDNA).
                raise InputError(url, f"malformed address ({exc})") from None
            except httpx.TimeoutException:
                if not attempts_left:
                    raise InputError(url, f"timed out after {self.settings.timeout:g} s") from None
            except httpx.TransportError as exc:
                if not attempts_left:
                    raise InputError(url, f"connection failed ({exc or exc.__class__.__name__})") from None
            else:
                if response.status_code not in _RETRY_STATUSES or not attempts_left:
                    return response
                delay = _retry_after(response, delay, self.settings.max_backoff)
            attempts_left -= 1
            time.sleep(delay)
            delay = min(delay * 2, self.settings.max_backoff)

    def _get_bounded(self, url: str, current: str, headers: dict[str, str]) -> httpx.Response:
        limit = self.settings.max_bytes
        with self.client.stream("GET", current, headers=headers) as response:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise InputError(url, f"too large ({declared} bytes, limit {limit})")
            body = bytearray()
            for chunk in response.iter_bytes(_CHUNK_BYTES):
                body += chunk
                if len(body) > limit:
                    raise InputError(url, f"too large (over {limit} bytes)")
            response._content = bytes(body)  # what ``read()`` would set; the stream is consumed
        return response

    def _gate(self, url: str) -> _HostGateContext:
        host = urlsplit(url).netloc.lower()
        with self._gates_lock:
            gate = self._gates.setdefault(host, _HostGate(threading.Semaphore(self.settings.per_host_concurrency)))
        return _HostGateContext(gate, self.settings.per_host_interval)

    def _check_robots(self, url: str, current: str) -> None:
        if not self.settings.respect_robots:
            return
        parts = urlsplit(current)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._robots_lock:
            rules = self._robots.get(origin)
        if rules is None:
            rules = self._load_robots(origin)
            with self._robots_lock:
                self._robots[origin] = rules
        if isinstance(rules, str):
            raise InputError(url, rules)
        if not rules.can_fetch(self.settings.user_agent, current):
            raise InputError(url, "disallowed by robots.txt")

    def _load_robots(self, origin: str) -> RobotFileParser | str:
        """The origin's robots rules, or the reason to stay away (RFC 9309 section 2.3.1)."""
        rules = RobotFileParser()
        robots_url = current = origin + "/robots.txt"
        try:
            # Redirects are followed (RFC 9309 2.3.1.2: at least five, across hosts), each target
            # checked like any other address; more than ``max_redirects`` count as no robots.txt.
            for _ in range(self.settings.max_redirects + 1):
                response = self._request(robots_url, current, {"Accept": "text/plain"})
                if response.status_code not in _REDIRECT_STATUSES:
                    break
                current = _redirect_target(robots_url, current, response.headers.get("location", ""))
                _check_scheme(robots_url, current)
        except InputError as exc:
            if exc.reason.startswith("refused"):
                return exc.reason
            return f"robots.txt unreachable ({exc.reason})"
        if response.status_code >= 500:
            return f"robots.txt unavailable (HTTP {response.status_code})"
        if response.status_code >= 400 or response.status_code in _REDIRECT_STATUSES:
            rules.parse([])
        else:
            rules.parse(response.content.decode("utf-8", "replace").splitlines())
        return rules


class _HostGateContext:
    def __init__(self, gate: _HostGate, interval: float) -> None:
        self.gate = gate
        self.interval = interval

    def __enter__(self) -> None:
        self.gate.slots.acquire()
        with self.gate.lock:
            now = time.monotonic()
            start = max(now, self.gate.next_start)
            self.gate.next_start = start + self.interval
        time.sleep(max(0.0, start - now))

    def __exit__(self, *exc_info: object) -> None:
        self.gate.slots.release()


def _check_scheme(url: str, current: str) -> None:
    try:
        parts = urlsplit(current)
        parts.port  # noqa: B018 -- parsing the port is what rejects "host:99999" and "host:x"
    except ValueError as exc:  # "http://[x": an unclosed IPv6 bracket
        raise InputError(url, f"malformed address ({exc}: {current})") from None
    if parts.scheme not in ("http", "https"):
        raise InputError(url, f"refused: not an http(s) address ({current})")


def _redirect_target(url: str, current: str, location: str) -> str:
    try:
        return urljoin(current, location)
    except ValueError as exc:
        raise InputError(url, f"malformed redirect ({exc}: {location})") from None


def _retry_after(response: httpx.Response, default: float, ceiling: float) -> float:
    """The server's Retry-After (seconds or an HTTP date) when given, within ``ceiling``."""
    value = response.headers.get("retry-after", "").strip()
    if value.isdigit():
        return min(float(value), ceiling)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(0.0, (when - datetime.now(UTC)).total_seconds()), ceiling)


def is_url(value: str) -> bool:
    """Whether a command-line input names a web address rather than a file (well-formed or not:
    a malformed one is then refused by ``Fetcher.fetch`` with its reason)."""
    scheme, separator, _ = value.strip().partition(":")
    return bool(separator) and scheme.lower() in ("http", "https")
