"""Run an ASGI app with uvicorn on a loopback port, in a background thread or the foreground.

The emulators and the daemon's webhook receiver share this so they start and stop the same
way: bind a socket first (port 0 picks a free one), then serve on it until ``stop()``.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import uvicorn


@dataclass(frozen=True)
class TLSFiles:
    """PEM files for serving HTTPS."""

    certfile: str
    keyfile: str


class ServerThread:
    """An ASGI app served by uvicorn on ``host:port`` in a daemon thread.

    Args:
        app: the ASGI application.
        host: interface to bind; loopback by default.
        port: port to bind; 0 picks a free port (read it back from ``port``).
        tls: serve HTTPS with these files when given.
        options: more ``uvicorn.Config`` settings (limits, protocol class), over the defaults.
    """

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0,
                 tls: TLSFiles | None = None, options: Mapping[str, Any] | None = None,
                 ) -> None:
        settings: dict[str, Any] = {
            "log_level": "warning", "access_log": False, "lifespan": "off",
            "log_config": None,  # keep the process's logging (structured, redacted) in charge
            "ssl_certfile": tls.certfile if tls else None,
            "ssl_keyfile": tls.keyfile if tls else None,
            "ssl_version": ssl.PROTOCOL_TLS_SERVER, "timeout_graceful_shutdown": 2,
            "backlog": 128, **(options or {})}
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say they are
        # TCP, and without it every answer after a connection's first waits ~40 ms (Nagle
        # holding the body back until the client's delayed ACK of the headers).
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self._sock.listen(settings["backlog"])  # connections wait here until serving starts
        self.host = host
        self.port: int = self._sock.getsockname()[1]
        self.scheme = "https" if tls else "http"
        config = uvicorn.Config(app, **settings)
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL the server answers on, without a trailing slash."""
        return f"{self.scheme}://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> ServerThread:
        """Start serving in a background thread; return once the server accepts connections."""
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]},
            name=f"uvicorn-{self.port}", daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on port {self.port} did not start")
            time.sleep(0.01)
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (SIGINT/SIGTERM)."""
        self._server.run(sockets=[self._sock])

    def stop(self) -> None:
        """Stop serving and wait for the thread to finish."""
        self._server.should_exit = True
        self._server.force_exit = True  # do not wait for idle keep-alive connections
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._sock.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
