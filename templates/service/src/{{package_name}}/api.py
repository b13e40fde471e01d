"""The service's own API. Two demo routes to start from (replace them with real ones):

- GET /v1/hello: a trivial answer (the benchmark's target);
- GET /v1/chain: calls /v1/chain on every declared downstream through the resilient client and nests their
  answers, so one request through a fleet makes one trace across every service it touches;
- POST /v1/chain: the same with POST, a non-idempotent call (never retried).
Both are the platform contract's conformance hooks: `groundwork conform` drives outbound calls through them.
"""

import asyncio
from collections.abc import Mapping

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from groundwork_runtime.downstream import DownstreamClient, DownstreamError


def api_router(service: str, downstreams: Mapping[str, DownstreamClient]) -> APIRouter:
    router = APIRouter(prefix="/v1")

    @router.get("/hello")
    async def hello() -> JSONResponse:
        return JSONResponse({"service": service, "message": "hello"})

    @router.get("/chain")
    async def chain() -> JSONResponse:
        return await _chain(service, downstreams, "GET")

    @router.post("/chain")
    async def chain_post() -> JSONResponse:
        return await _chain(service, downstreams, "POST")

    return router


async def _chain(service: str, downstreams: Mapping[str, DownstreamClient], method: str) -> JSONResponse:
    names = list(downstreams)
    results = await asyncio.gather(*(_chain_call(downstreams[name], method) for name in names))
    answers = dict(zip(names, results, strict=True))
    failed = {name: answer for name, answer in answers.items() if isinstance(answer, DownstreamError)}
    if failed:
        return JSONResponse(
            {
                "service": service,
                "error": "downstream call failed",
                "failed": {name: error.reason for name, error in failed.items()},
            },
            status_code=502,
        )
    return JSONResponse({"service": service, "downstreams": answers})


async def _chain_call(client: DownstreamClient, method: str) -> object:
    """The downstream's /v1/chain answer, or the DownstreamError saying why there is none."""
    try:
        response = await client.request(method, "/v1/chain")
    except DownstreamError as error:
        return error
    if response.status_code != 200:
        return DownstreamError(client.name, f"status {response.status_code}")
    try:
        return response.json()
    except ValueError:
        return DownstreamError(client.name, "answer is not JSON")
