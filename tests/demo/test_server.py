"""The demo server speaks correct HTTP/1.1: gzip, chunked framing, keep-alive, redirects, 304."""

from __future__ import annotations

import gzip
import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.demo.server import DemoServer, accepts_gzip, chunk_body
from crawler.demo.site import DemoHub

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def hub() -> DemoHub:
    return DemoHub(30, seed=4)


@pytest.fixture
def server(hub: DemoHub) -> Iterator[DemoServer]:
    with DemoServer(hub) as running:
        yield running


def connect(server: DemoServer) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)


def fetch(
    server: DemoServer, target: str, **headers: str
) -> tuple[http.client.HTTPResponse, bytes]:
    conn = connect(server)
    conn.request("GET", target, headers={k.replace("_", "-"): v for k, v in headers.items()})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp, body


def raw_exchange(port: int, request: bytes) -> bytes:
    """Everything the server sends until it closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


def dechunk(data: bytes) -> bytes:
    """Strict chunked-body decoder: sizes, CRLFs and the last-chunk must be exact."""
    out, rest = b"", data
    while True:
        size_line, rest = rest.split(b"\r\n", 1)
        size = int(size_line, 16)
        if size == 0:
            assert rest == b"\r\n"
            return out
        out, rest = out + rest[:size], rest[size:]
        assert rest[:2] == b"\r\n"
        rest = rest[2:]


def test_url_and_lifecycle(hub: DemoHub) -> None:
    server = DemoServer(hub)
    with pytest.raises(RuntimeError):
        _ = server.url
    server.start()
    try:
        assert server.url == f"http://127.0.0.1:{server.port}" and server.port > 0
        resp, _ = fetch(server, "/robots.txt")
        assert resp.status == 200
    finally:
        server.stop()
    server.stop()  # idempotent
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=1).close()


def test_gzip_chunked_article_with_http_client(server: DemoServer, hub: DemoHub) -> None:
    art = next(a for a in hub.articles if hub.render(a.path, base_url="x").chunked)
    resp, body = fetch(server, art.path, Accept_Encoding="gzip, deflate")
    assert resp.status == 200
    assert resp.getheader("Transfer-Encoding") == "chunked"
    assert resp.getheader("Content-Length") is None
    assert resp.getheader("Content-Encoding") == "gzip"
    expected = hub.render(art.path, base_url=server.url, accept_gzip=False).body
    assert gzip.decompress(body) == expected


def test_content_length_matches_gzipped_bytes(server: DemoServer, hub: DemoHub) -> None:
    art = next(a for a in hub.articles if not hub.render(a.path, base_url="x").chunked)
    resp, body = fetch(server, art.path, Accept_Encoding="gzip")
    assert resp.getheader("Content-Encoding") == "gzip"
    assert int(resp.getheader("Content-Length")) == len(body)
    plain_resp, plain = fetch(server, art.path)
    assert plain_resp.getheader("Content-Encoding") is None
    assert gzip.decompress(body) == plain
    assert b"<h1" in plain


def test_raw_socket_chunked_framing(server: DemoServer, hub: DemoHub) -> None:
    art = next(a for a in hub.articles if hub.render(a.path, base_url="x").chunked)
    request = (
        f"GET {art.path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        "Accept-Encoding: gzip\r\nConnection: close\r\n\r\n"
    ).encode()
    data = raw_exchange(server.port, request)
    head, _, payload = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0] == "HTTP/1.1 200 OK"
    headers = [line.split(": ", 1) for line in lines[1:]]
    assert ["Transfer-Encoding", "chunked"] in headers
    assert not [h for h in headers if h[0].lower() == "content-length"]
    expected = hub.render(art.path, base_url=server.url, accept_gzip=False).body
    assert gzip.decompress(dechunk(payload)) == expected


def test_raw_socket_keep_alive_pipelined(server: DemoServer) -> None:
    """Two requests on one connection; the first response's length must frame it exactly."""
    host = f"Host: 127.0.0.1:{server.port}\r\n"
    data = raw_exchange(
        server.port,
        f"GET /robots.txt HTTP/1.1\r\n{host}\r\n".encode()
        + f"GET /robots.txt HTTP/1.1\r\n{host}Connection: close\r\n\r\n".encode(),
    )
    first_head, _, rest = data.partition(b"\r\n\r\n")
    length = int(next(h for h in first_head.split(b"\r\n") if h.startswith(b"Content-Length"))[15:])
    assert rest[length:].startswith(b"HTTP/1.1 200 OK\r\n")
    assert rest[:length].startswith(b"User-agent: *")


def test_keep_alive_with_http_client(server: DemoServer, hub: DemoHub) -> None:
    conn = connect(server)
    for art in hub.articles[:6]:
        conn.request("GET", art.path, headers={"Accept-Encoding": "gzip"})
        resp = conn.getresponse()
        assert resp.status == 200 and gzip.decompress(resp.read())
    conn.close()
    assert len(server.targets()) == 6


def test_head_has_headers_and_no_body(server: DemoServer, hub: DemoHub) -> None:
    for art in hub.articles[:2]:
        conn = connect(server)
        conn.request("HEAD", art.path)
        resp = conn.getresponse()
        assert resp.status == 200 and resp.read() == b""
        assert resp.getheader("Content-Type").startswith("text/html")
        conn.request("GET", "/robots.txt")  # the connection is still usable
        assert conn.getresponse().read().startswith(b"User-agent")
        conn.close()


def test_redirects_404_and_host_header(server: DemoServer, hub: DemoHub) -> None:
    art = hub.article(3)
    resp, _ = fetch(server, "/?p=3")
    assert resp.status == 301 and resp.getheader("Location") == server.url + art.path
    resp, _ = fetch(server, "/?p=3", Host="news.example:8443")
    assert resp.getheader("Location") == "http://news.example:8443" + art.path
    resp, body = fetch(server, "/nothing-here/")
    assert resp.status == 404 and b"can" in body
    resp, body = fetch(server, "/", Host="bad host<script>")
    assert server.url.encode() in body


def test_conditional_get(server: DemoServer, hub: DemoHub) -> None:
    path = hub.article(2).path
    first, _ = fetch(server, path)
    tag, modified = first.getheader("ETag"), first.getheader("Last-Modified")
    assert tag and modified
    resp, body = fetch(server, path, If_None_Match=tag)
    assert resp.status == 304 and body == b""
    resp, _ = fetch(server, path, If_Modified_Since=modified)
    assert resp.status == 304
    resp, _ = fetch(server, path, If_None_Match='"other"')
    assert resp.status == 200


def test_request_log_and_hub_swap(server: DemoServer, hub: DemoHub) -> None:
    fetch(server, "/feed/", User_Agent="probe/1")
    method, target, headers = server.requests[-1]
    assert (method, target, headers["User-Agent"]) == ("GET", "/feed/", "probe/1")
    server.reset_log()
    assert server.requests == []
    later = hub.mutated(edit_fraction=0, new_articles=1)
    server.hub = later
    resp, body = fetch(server, later.articles[-1].path)
    assert resp.status == 200 and later.articles[-1].title.encode() in body
    assert len(server.requests) == 1


def test_many_concurrent_clients(server: DemoServer, hub: DemoHub) -> None:
    targets = [a.path for a in hub.articles] * 4 + ["/", "/feed/", "/post-sitemap.xml"]
    errors: list[str] = []

    def worker(chunk: list[str]) -> None:
        conn = connect(server)
        for target in chunk:
            conn.request("GET", target, headers={"Accept-Encoding": "gzip"})
            resp = conn.getresponse()
            if resp.status != 200 or not gzip.decompress(resp.read()):
                errors.append(target)
        conn.close()

    threads = [threading.Thread(target=worker, args=(targets[i::16],)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors and len(server.requests) == len(targets)


def test_accept_encoding_parsing_and_chunking() -> None:
    assert accepts_gzip("gzip, deflate") and accepts_gzip("br;q=1, GZIP;q=0.5")
    assert not accepts_gzip(None) and not accepts_gzip("identity")
    assert not accepts_gzip("gzip;q=0") and accepts_gzip("*") and not accepts_gzip("*;q=0")
    body = bytes(range(256)) * 40
    assert dechunk(chunk_body(body)) == body and dechunk(chunk_body(b"")) == b""


def test_main_serves_until_interrupted() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.demo.server", "--port", "0", "--articles", "12"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    try:
        line = proc.stdout.readline()
        url = line[line.index("http://") :].split()[0].rstrip("/")
        host, port = url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        conn.request("GET", "/robots.txt")
        assert conn.getresponse().status == 200
        conn.close()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        assert proc.stderr.read() == ""
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
