"""The test downstream: answers /livez, and on /v1/chain (any method) does what the suite tells it, counting
attempts, their methods, traceparent headers and how many were in progress at once."""

import json
import threading
import time
from dataclasses import dataclass
from enum import StrEnum

from groundwork.conform.contract import CHAIN_PATH
from groundwork.conform.loopback import LoopbackServer, QuietHandler

_OK_BODY = json.dumps({"service": "conform-downstream", "downstreams": {}}).encode()
HOLD_MAX_SECONDS = 10.0


class Mode(StrEnum):
    OK = "ok"  # 200 at once
    FAIL = "fail"  # 503 at once
    HOLD = "hold"  # wait until released (at most HOLD_MAX_SECONDS), then 200
    SLOW = "slow"  # wait `delay` seconds, then 200


@dataclass(frozen=True)
class Attempt:
    method: str
    traceparent: str | None


class TestDownstream(LoopbackServer):
    __test__ = False  # not a pytest class

    def __init__(self, name: str) -> None:
        self.name = name
        self.mode = Mode.OK
        self.delay = 0.0
        self.attempts: list[Attempt] = []
        self.in_progress = 0
        self.max_in_progress = 0
        self.completed = 0
        self._release = threading.Event()
        self._lock = threading.Condition()
        downstream = self

        class Handler(QuietHandler):
            def _serve(self) -> None:
                self.read_body()
                if self.path.split("?")[0] != CHAIN_PATH:
                    self.reply(200 if self.command == "GET" else 404, b'{"status": "ok"}')
                    return
                downstream._serve_chain(self)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        super().__init__(Handler)

    def _serve_chain(self, handler: QuietHandler) -> None:
        with self._lock:
            self.attempts.append(Attempt(handler.command, handler.headers.get("traceparent")))
            self.in_progress += 1
            self.max_in_progress = max(self.max_in_progress, self.in_progress)
            self._lock.notify_all()
            mode, delay = self.mode, self.delay
        try:
            if mode is Mode.HOLD:
                self._release.wait(HOLD_MAX_SECONDS)
            elif mode is Mode.SLOW:
                time.sleep(delay)
            if mode is Mode.FAIL:
                handler.reply(503, b'{"error": "conform: told to fail"}')
            else:
                handler.reply(200, _OK_BODY)
        except OSError:  # the caller gave up (its timeout): nothing to answer
            pass
        finally:
            with self._lock:
                self.in_progress -= 1
                self.completed += 1
                self._lock.notify_all()

    def set_mode(self, mode: Mode, delay: float = 0.0) -> None:
        with self._lock:
            self.mode = mode
            self.delay = delay
            self._release.clear()

    def release(self) -> None:
        self._release.set()

    def reset_counts(self) -> None:
        with self._lock:
            self.attempts = []
            self.max_in_progress = self.in_progress
            self.completed = 0

    def count(self, method: str | None = None) -> int:
        with self._lock:
            return sum(1 for a in self.attempts if method is None or a.method == method)

    def wait_for_in_progress(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._lock:
            while self.in_progress < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(left)
            return True
