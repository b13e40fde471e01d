"""A slow downstream on loopback: /v1/chain answers after a delay, and the test can see how many wait."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


class SlowDownstream:
    """Answers GET /v1/chain after `delay` seconds like a leaf service; /livez at once."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.waiting = 0
        self.arrived = threading.Condition()
        downstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                if self.path == "/v1/chain":
                    with downstream.arrived:
                        downstream.waiting += 1
                        downstream.arrived.notify_all()
                    time.sleep(downstream.delay)
                body = json.dumps({"service": "slow", "downstreams": {}}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def wait_until_waiting(self, count: int, timeout: float) -> bool:
        """True once `count` /v1/chain requests have arrived."""
        with self.arrived:
            return self.arrived.wait_for(lambda: self.waiting >= count, timeout=timeout)

    def __enter__(self) -> SlowDownstream:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
