"""uvicorn in a background thread, for the webhook receiver.

The socket is bound when the runner is made, so a port already in use fails at once (as
OSError) rather than inside the server thread, and requests arriving before serving starts
wait in the listen backlog.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Mapping
from typing import Any

import uvicorn


class BackgroundServer:
    """An ASGI app served over HTTP on ``host:port`` by uvicorn, in a daemon thread.

    Args:
        app: the ASGI application.
        host: interface to bind.
        port: port to bind; 0 picks a free one (read it back from ``port``).
        options: ``uvicorn.Config`` settings over the defaults (quiet, no lifespan, the
            process's own logging, a 2-second graceful shutdown, a backlog of 128).

    Raises:
        OSError: the address cannot be bound.
    """

    def __init__(self, app: Any, host: str, port: int,
                 options: Mapping[str, Any] | None = None) -> None:
        settings: dict[str, Any] = {
            "log_level": "warning", "access_log": False, "lifespan": "off", "log_config": None,
            "timeout_graceful_shutdown": 2, "backlog": 128, **(options or {})}
        # Declared TCP so asyncio sets TCP_NODELAY; otherwise Nagle's algorithm delays each
        # answer after a connection's first by the client's delayed ACK (~40 ms).
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._sock.bind((host, port))
            self._sock.listen(settings["backlog"])
        except OSError:
            self._sock.close()
            raise
        self.host = host
        self.port: int = self._sock.getsockname()[1]
        self._server = uvicorn.Server(uvicorn.Config(app, **settings))
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://host:port``, without a trailing slash."""
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        """Serve in the background; return once connections are accepted.

        Raises:
            RuntimeError: the server did not start within ``timeout`` seconds.
        """
        self._thread = threading.Thread(target=self._server.run,
                                        kwargs={"sockets": [self._sock]},
                                        name=f"webhook-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"webhook receiver on port {self.port} did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        """Stop serving (idle keep-alive connections are not waited for) and wait for the
        thread."""
        self._server.should_exit = True
        self._server.force_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._sock.close()
