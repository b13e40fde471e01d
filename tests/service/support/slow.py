"""A slow downstream on loopback: /v1/chain answers after a delay, and the test can see how many wait."""

from __future__ import annotations

import json
import threading
import time

from support.loopback import LoopbackServer, QuietHandler


class SlowDownstream(LoopbackServer):
    """Answers GET /v1/chain after `delay` seconds like a leaf service; /livez at once."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.waiting = 0
        self.arrived = threading.Condition()
        downstream = self

        class Handler(QuietHandler):
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

        super().__init__(Handler)

    def wait_until_waiting(self, count: int, timeout: float) -> bool:
        """True once `count` /v1/chain requests have arrived."""
        with self.arrived:
            return self.arrived.wait_for(lambda: self.waiting >= count, timeout=timeout)
