"""The receiver under attack, over real sockets on loopback: what one client can cost.

Oversized bodies (declared or chunked) are refused after ``max_body`` bytes with memory flat;
slow headers and slow bodies are cut off; connections beyond the limit are closed on accept;
idle kept-alive connections are closed; and a valid delivery sent alongside is stored.
The limits' timeouts are shortened here; the client's own waits are generous, so a slow
machine makes these tests slower, never wrong.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
import stripe
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connector.clock import ManualClock
from connector.ledger.database import make_engine, migrate, session_factory
from connector.ledger.models import StripeInboxEvent
from connector.webhook.limits import HttpLimits
from connector.webhook.server import WebhookServer
from connector.webhook.signature import SignatureVerifier

SECRET = "whsec_limits"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SHORT = HttpLimits(header_timeout=0.5, body_timeout=0.5, keep_alive=1)
PATIENCE = 15.0
"""Seconds the client waits for the server to act; far above any limit under test."""
MB = 1024 * 1024


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    migrate(engine)
    return session_factory(engine)


def _serve(sessions: sessionmaker[Session], limits: HttpLimits) -> WebhookServer:
    clock = ManualClock(NOW)
    return WebhookServer(SignatureVerifier([SECRET], clock), sessions, clock, "127.0.0.1", 0,
                         limits=limits).start()


@pytest.fixture
def server(sessions: sessionmaker[Session]) -> Iterator[WebhookServer]:
    started = _serve(sessions, SHORT)
    yield started
    started.stop()


def _inbox_ids(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(StripeInboxEvent.event_id)))


def _deliver(server: WebhookServer, event_id: str) -> requests.Response:
    body = json.dumps({"id": event_id, "object": "event", "type": "invoice.paid",
                       "created": int(NOW.timestamp()),
                       "data": {"object": {"id": "in_1", "object": "invoice"}}})
    header = stripe.WebhookSignature.generate_signature_header(body, SECRET,
                                                               int(NOW.timestamp()))
    return requests.post(server.url, data=body, timeout=PATIENCE,
                         headers={"Stripe-Signature": header})


def _connect(server: WebhookServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=PATIENCE)


def _until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (fails on PATIENCE)."""
    received = []
    try:
        while data := sock.recv(65536):
            received.append(data)
    except ConnectionResetError:
        pass
    finally:
        sock.close()
    return b"".join(received)


def _one_answer(sock: socket.socket) -> bytes:
    """One whole HTTP answer (head and Content-Length body) on a kept-alive connection."""
    answer = b""
    while b"\r\n\r\n" not in answer or len(answer) < _answer_length(answer):
        data = sock.recv(65536)
        assert data, f"the server closed the connection mid-answer: {answer!r}"
        answer += data
    return answer


def _answer_length(answer: bytes) -> int:
    head, _, _ = answer.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(head) + 4 + int(value)
    raise AssertionError(f"an answer without Content-Length: {answer!r}")


def _vm_rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/self/status")


def _head(server: WebhookServer, *headers: str) -> bytes:
    lines = ["POST /webhooks/stripe HTTP/1.1", f"Host: 127.0.0.1:{server.port}", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _chunked_upload(server: WebhookServer, total: int) -> tuple[bytes, int]:
    """POST ``total`` bytes chunked with a garbage signature, reading the answer meanwhile;
    return the answer and how many body bytes the server let us send."""
    sock = _connect(server)
    answer: list[bytes] = []
    reader = threading.Thread(target=lambda: answer.append(_until_closed(sock)))
    piece = b"x" * 65536
    chunk = b"%x\r\n%s\r\n" % (len(piece), piece)
    sent = 0
    try:
        sock.sendall(_head(server, "Transfer-Encoding: chunked", "Stripe-Signature: t=1,v1=00"))
        reader.start()
        while sent < total:
            sock.sendall(chunk)
            sent += len(piece)
        sock.sendall(b"0\r\n\r\n")
    except OSError:
        pass  # the server closed the connection: it stopped reading
    reader.join(PATIENCE)
    return b"".join(answer), sent


def test_a_100_mb_chunked_body_gets_413_after_the_limit_with_memory_flat(
        server: WebhookServer, sessions: sessionmaker[Session]) -> None:
    before = _vm_rss_kib()

    answer, sent = _chunked_upload(server, 100 * MB)

    growth_mb = (_vm_rss_kib() - before) / 1024
    assert answer.startswith(b"HTTP/1.1 413")
    assert b'"too_large"' in answer
    assert sent < 20 * MB  # the limit plus what the kernel's socket buffers took
    assert growth_mb < 50
    assert _inbox_ids(sessions) == []
    assert _deliver(server, "evt_after").status_code == 200  # and the server still serves


def test_a_declared_length_over_the_limit_gets_413_before_the_body_is_sent(
        server: WebhookServer) -> None:
    sock = _connect(server)
    sock.sendall(_head(server, f"Content-Length: {100 * MB}", "Stripe-Signature: t=1,v1=00"))

    assert _until_closed(sock).startswith(b"HTTP/1.1 413")


def test_a_trickled_body_gets_408_and_the_connection_is_closed(
        server: WebhookServer, sessions: sessionmaker[Session]) -> None:
    sock = _connect(server)
    sock.sendall(_head(server, "Content-Length: 1000", "Stripe-Signature: t=1,v1=00") + b"{")
    answer: list[bytes] = []
    reader = threading.Thread(target=lambda: answer.append(_until_closed(sock)))
    reader.start()
    hung_up = False
    for _ in range(int(PATIENCE * 10)):  # a byte every 0.1 s until the server hangs up
        time.sleep(0.1)
        try:
            sock.send(b" ")
        except OSError:
            hung_up = True
            break
    reader.join(PATIENCE)

    assert hung_up

    assert answer[0].startswith(b"HTTP/1.1 408")
    assert _inbox_ids(sessions) == []


def _trickle(socks: list[socket.socket], byte: bytes, stop: threading.Event) -> None:
    while not stop.wait(0.1):
        for sock in socks:
            try:
                sock.send(byte)
            except OSError:
                continue


def test_300_slow_connections_are_closed_and_a_delivery_alongside_is_stored(
        server: WebhookServer, sessions: sessionmaker[Session]) -> None:
    slow_headers = [_connect(server) for _ in range(150)]
    slow_bodies = [_connect(server) for _ in range(150)]
    for sock in slow_headers:
        sock.sendall(b"POST /webhooks/stripe HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    for sock in slow_bodies:
        sock.sendall(_head(server, "Content-Length: 5000", "Stripe-Signature: t=1,v1=00"))
    stop = threading.Event()
    tricklers = [threading.Thread(target=_trickle, args=(socks, b"a", stop))
                 for socks in (slow_headers, slow_bodies)]
    for trickler in tricklers:
        trickler.start()
    try:
        delivered = _deliver(server, "evt_alongside")
        header_answers = [_until_closed(sock) for sock in slow_headers]
        body_answers = [_until_closed(sock) for sock in slow_bodies]
    finally:
        stop.set()
        for trickler in tricklers:
            trickler.join()

    assert delivered.status_code == 200
    assert _inbox_ids(sessions) == ["evt_alongside"]
    assert header_answers == [b""] * 150  # closed without an answer: no request to answer
    assert all(answer.startswith(b"HTTP/1.1 408") for answer in body_answers)


def test_a_connection_beyond_the_limit_is_closed_on_accept(
        sessions: sessionmaker[Session]) -> None:
    limited = _serve(sessions, HttpLimits(max_connections=3, header_timeout=PATIENCE * 2))
    held = [_connect(limited) for _ in range(3)]
    try:
        for sock in held:  # a partial request each: accepted in order, kept open
            sock.sendall(b"GET /healthz HTTP/1.1\r\n")
        time.sleep(0.2)
        refused = _until_closed(_connect(limited))
        held[0].close()
        time.sleep(0.2)
        served = requests.get(limited.url.replace("/webhooks/stripe", "/healthz"),
                              timeout=PATIENCE)
        for sock in held[1:]:
            sock.setblocking(False)
            with pytest.raises(BlockingIOError):  # still open: nothing to read, no EOF
                sock.recv(1)
    finally:
        for sock in held:
            sock.close()
        limited.stop()

    assert refused == b""
    assert served.status_code == 200


def test_an_idle_kept_alive_connection_is_closed(server: WebhookServer) -> None:
    sock = _connect(server)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")

    answer = _until_closed(sock)  # the answer, then the close after keep_alive (1 s)

    assert answer.startswith(b"HTTP/1.1 200")


def test_headers_of_a_kept_alive_connections_next_request_are_timed_too(
        server: WebhookServer) -> None:
    sock = _connect(server)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    first = _one_answer(sock)
    stop = threading.Event()
    trickler = threading.Thread(target=_trickle, args=([sock], b"a", stop))
    sock.sendall(b"GET /healthz HTTP/1.1\r\nX-Slow: ")
    trickler.start()
    try:
        rest = _until_closed(sock)
    finally:
        stop.set()
        trickler.join()

    assert first.startswith(b"HTTP/1.1 200")
    assert rest == b""


def test_oversized_headers_get_400(server: WebhookServer) -> None:
    sock = _connect(server)
    with contextlib.suppress(OSError):  # the server may hang up before it has all of it
        sock.sendall(b"POST /webhooks/stripe HTTP/1.1\r\nX-Big: " + b"a" * (64 * 1024))

    assert _until_closed(sock).startswith(b"HTTP/1.1 400")
