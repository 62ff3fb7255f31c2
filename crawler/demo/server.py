"""A local HTTP/1.1 server for a ``DemoHub``: the target of ``newshub demo`` and of crawl tests.

Stdlib ``ThreadingHTTPServer`` with keep-alive, quiet logging, gzip, chunked framing on some
responses and conditional GET (ETag / Last-Modified -> 304), so a crawler meets the transport
features of a real site. ``hub`` may be swapped while running to simulate a later site state.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import threading
import traceback
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from crawler.demo.site import DemoHub
from crawler.demo.web import DemoResponse

_HOST_OK = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")
CHUNK_SIZES = (1000, 4096, 777)


def accepts_gzip(header: str | None) -> bool:
    """Whether an Accept-Encoding value allows gzip (``gzip;q=0`` and absent do not)."""
    if not header:
        return False
    star = False
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        q = 1.0
        m = re.search(r"q\s*=\s*([0-9.]+)", params)
        if m:
            try:
                q = float(m[1])
            except ValueError:
                q = 0.0
        name = name.strip().lower()
        if name in ("gzip", "x-gzip"):
            return q > 0
        if name == "*":
            star = q > 0
    return star


def chunk_body(body: bytes) -> bytes:
    """``Transfer-Encoding: chunked`` framing, in uneven chunk sizes, with the last-chunk."""
    out, i, k = [], 0, 0
    while i < len(body):
        size = CHUNK_SIZES[k % len(CHUNK_SIZES)]
        piece = body[i : i + size]
        out.append(b"%x\r\n%s\r\n" % (len(piece), piece))
        i, k = i + size, k + 1
    out.append(b"0\r\n\r\n")
    return b"".join(out)


def etag(resp: DemoResponse) -> str:
    """A validator for the exact bytes sent (gzip and identity differ)."""
    return '"' + hashlib.blake2b(resp.body, digest_size=10).hexdigest() + '"'


def not_modified(resp: DemoResponse, tag: str, headers) -> bool:
    """RFC 9110 conditional GET: If-None-Match wins over If-Modified-Since."""
    inm = headers.get("If-None-Match")
    if inm is not None:
        return inm.strip() == "*" or tag in [t.strip().removeprefix("W/") for t in inm.split(",")]
    ims, lm = headers.get("If-Modified-Since"), resp.header("Last-Modified")
    if ims and lm:
        try:
            return parsedate_to_datetime(lm) <= parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
    return False


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes; avoid 40 ms stalls
    timeout = 60  # idle keep-alive connections are closed (and their threads end)
    server: _Server

    def version_string(self) -> str:
        return "nginx"

    def log_message(self, format: str, *args) -> None:
        """Quiet: a crawl makes thousands of requests."""

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _serve(self, head: bool) -> None:
        demo = self.server.demo
        demo._log(self.command, self.path, dict(self.headers.items()))
        host = self.headers.get("Host", "")
        if not _HOST_OK.match(host):
            host = f"{demo.host}:{demo.port}"
        try:
            resp = demo.hub.render(
                self.path,
                base_url=f"http://{host}",
                accept_gzip=accepts_gzip(self.headers.get("Accept-Encoding")),
            )
        except Exception:  # a bug in the demo site: answer 500, keep serving, show the trace
            traceback.print_exc()
            self.send_error(500)
            return
        tag = etag(resp) if resp.status == 200 else None
        if tag and not_modified(resp, tag, self.headers):
            self.send_response(304)
            self.send_header("ETag", tag)
            for name, value in resp.headers:
                if name.lower() in ("last-modified", "vary", "cache-control"):
                    self.send_header(name, value)
            self.end_headers()
            return
        self.send_response(resp.status)
        for name, value in resp.headers:
            self.send_header(name, value)
        if tag:
            self.send_header("ETag", tag)
        if resp.chunked:
            self.send_header("Transfer-Encoding", "chunked")
            payload = chunk_body(resp.body)
        else:
            self.send_header("Content-Length", str(len(resp.body)))
            payload = resp.body
        self.end_headers()
        if not head:
            self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256
    demo: DemoServer

    def handle_error(self, request, client_address) -> None:
        """Clients that hang up mid-response (crawl shutdown, size limits) are not errors."""
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


class DemoServer:
    """Serves ``hub`` on ``host:port`` (port 0 picks a free one) from a daemon thread.

    ``requests`` logs (method, target, headers) of every request, in arrival order.
    """

    def __init__(self, hub: DemoHub, host: str = "127.0.0.1", port: int = 0) -> None:
        self.hub = hub
        self.host = host
        self.port = port
        self.requests: list[tuple[str, str, dict]] = []
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://HOST:PORT`` without a trailing slash (valid after ``start()``)."""
        if self._server is None:
            raise RuntimeError("DemoServer is not started")
        return f"http://{self.host}:{self.port}"

    def start(self) -> DemoServer:
        if self._server is not None:
            return self
        server = _Server((self.host, self.port), _Handler)
        server.demo = self
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"demo-hub-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _log(self, method: str, target: str, headers: dict) -> None:
        with self._lock:
            self.requests.append((method, target, headers))

    def reset_log(self) -> None:
        """Forget logged requests (e.g. between a first crawl and a recrawl)."""
        with self._lock:
            self.requests.clear()

    def targets(self, method: str | None = None) -> list[str]:
        """Logged request targets, optionally only those of one method."""
        with self._lock:
            return [t for m, t, _ in self.requests if method is None or m == method]


def main(argv: list[str] | None = None) -> int:
    """``python -m crawler.demo.server``: serve a demo hub until Ctrl-C."""
    parser = argparse.ArgumentParser(description="Serve the newshub demo news hub.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--site-name", default="Webangah News Hub")
    parser.add_argument("--rest-api", choices=("", "pretty", "plain"), default="")
    parser.add_argument("--sitemap-only", action="store_true")
    parser.add_argument(
        "--sitemap-lastmod", choices=("modified", "published", "none"), default="modified"
    )
    args = parser.parse_args(argv)
    hub = DemoHub(
        args.articles,
        seed=args.seed,
        site_name=args.site_name,
        rest_api=args.rest_api,
        sitemap_only=args.sitemap_only,
        sitemap_lastmod=args.sitemap_lastmod,
    )
    server = DemoServer(hub, args.host, args.port).start()
    print(f"Serving {len(hub)} demo articles at {server.url}/ (Ctrl-C to stop)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
