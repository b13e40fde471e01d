"""Probes: /livez (the process), /readyz (dependencies and not draining), /startupz (start-up done).

Readiness runs every check concurrently, each bounded by APP_READINESS_TIMEOUT_SECONDS. A check is an async
callable returning None when healthy or a short reason when not; add your own (a database, a queue) to the
`checks` mapping in create_app.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping

import httpx
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from .lifecycle import Lifecycle

Check = Callable[[], Awaitable[str | None]]

OK = "ok"
SHUTDOWN = "shutdown"


def downstream_check(client: httpx.AsyncClient, base_url: str) -> Check:
    """Healthy when the downstream's /livez answers 200: reachable and alive. (Not its /readyz: one
    service's missing dependency must not take every caller out of rotation.)"""

    async def check() -> str | None:
        try:
            response = await client.get(f"{base_url}/livez")
        except httpx.TimeoutException:
            return "timeout"
        except httpx.HTTPError as error:
            return f"unreachable ({type(error).__name__})"
        return None if response.status_code == 200 else f"status {response.status_code}"

    return check


class Readiness:
    """Evaluates the readiness checks and the lifecycle into a /readyz answer."""

    def __init__(self, lifecycle: Lifecycle, checks: Mapping[str, Check], timeout_seconds: float) -> None:
        self._lifecycle = lifecycle
        self._checks = dict(checks)
        self._timeout = timeout_seconds

    async def _run(self, check: Check) -> str:
        try:
            async with asyncio.timeout(self._timeout):
                reason = await check()
        except TimeoutError:
            return "timeout"
        except Exception as error:  # a broken check reports, it does not crash the probe
            return f"error ({type(error).__name__})"
        return OK if reason is None else reason

    async def evaluate(self) -> tuple[bool, dict[str, str]]:
        if self._lifecycle.draining:  # answer at once: no point asking the dependencies
            return False, {SHUTDOWN: "draining"}
        names = list(self._checks)
        results = await asyncio.gather(*(self._run(self._checks[name]) for name in names))
        checks = dict(zip(names, results, strict=True))
        return all(result == OK for result in results), checks


def health_router(lifecycle: Lifecycle, readiness: Readiness) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/livez")
    async def livez() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        ready, checks = await readiness.evaluate()
        if ready:
            return JSONResponse({"status": "ready", "checks": checks})
        failed = [name for name, result in checks.items() if result != OK]
        return JSONResponse({"status": "not ready", "failed": failed, "checks": checks}, status_code=503)

    @router.get("/startupz")
    async def startupz() -> JSONResponse:
        if lifecycle.started:
            return JSONResponse({"status": "started"})
        return JSONResponse({"status": "starting"}, status_code=503)

    return router
