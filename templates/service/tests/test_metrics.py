"""/metrics: RED series by route template, in-flight gauge, process metrics, outbound call series."""

import re

import httpx
import pytest
from fastapi.responses import JSONResponse

from helpers import Service, TwoDownstreams, dead_url, quick


def sample(text: str, series: str) -> float | None:
    """The value of one exposed series, given as it is written (name{labels in order})."""
    match = re.search(rf"^{re.escape(series)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else None


def series(name: str, **labels: str) -> str:
    """name{label="value",...}, labels in the order given."""
    inner = ",".join(f'{key}="{value}"' for key, value in labels.items())
    return name + "{" + inner + "}"


def test_red_series_count_requests_by_route_template_and_status() -> None:
    service = Service(quick())

    async def item(item_id: int) -> JSONResponse:
        return JSONResponse({"id": item_id})

    service.app.add_api_route("/v1/items/{item_id}", item, methods=["GET"])
    with service:
        for item_id in (1, 2, 3):
            assert service.get(f"/v1/items/{item_id}").status_code == 200
        assert service.get("/v1/hello").status_code == 200
        assert service.get("/no/such/path").status_code == 404
        text = service.get("/metrics").text

    assert sample(text, 'http_requests_total{method="GET",route="/v1/items/{item_id}",status="200"}') == 3
    assert sample(text, 'http_requests_total{method="GET",route="/v1/hello",status="200"}') == 1
    assert sample(text, 'http_requests_total{method="GET",route="unmatched",status="404"}') == 1
    assert "/v1/items/1" not in text, "raw paths never become labels"
    count = 'http_request_duration_seconds_count{method="GET",route="/v1/items/{item_id}",status="200"}'
    assert sample(text, count) == 3
    bucket = 'http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/v1/items/{item_id}",status="200"}'
    assert sample(text, bucket) == 3
    assert "# TYPE http_requests_in_flight gauge" in text
    assert sample(text, "http_requests_in_flight") == 1, "the scrape itself is in flight"
    assert sample(text, "process_resident_memory_bytes") is not None
    assert "_created" not in text


def test_probes_are_counted_too() -> None:
    with Service(quick()) as service:
        service.get("/livez")
        service.get("/readyz")
        text = service.get("/metrics").text
    assert sample(text, 'http_requests_total{method="GET",route="/livez",status="200"}') == 1
    assert sample(text, 'http_requests_total{method="GET",route="/readyz",status="200"}') == 1


@pytest.mark.anyio
async def test_unknown_methods_do_not_grow_the_label_set() -> None:
    # httptools refuses unknown methods before the app sees them; other servers may pass them on.
    app = Service(quick()).app
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as client:
        assert (await client.request("BREW", "/v1/hello")).status_code == 405
        text = (await client.get("/metrics")).text
    assert sample(text, series("http_requests_total", method="_OTHER", route="/v1/hello", status="405")) == 1


def test_failures_are_counted_as_500() -> None:
    service = Service(quick())

    async def broken() -> JSONResponse:
        raise RuntimeError("boom")

    service.app.add_api_route("/v1/broken", broken, methods=["GET"])
    with service:
        assert service.get("/v1/broken").status_code == 500
        text = service.get("/metrics").text
    assert sample(text, 'http_requests_total{method="GET",route="/v1/broken",status="500"}') == 1


def test_downstream_series_exist_from_the_start() -> None:
    settings = quick(TwoDownstreams, downstreams={"left": dead_url(), "right": dead_url()})
    with Service(settings) as service:
        text = service.get("/metrics").text
    for name in ("left", "right"):
        for outcome in ("ok", "error", "rejected"):
            assert sample(text, series("downstream_requests_total", downstream=name, outcome=outcome)) == 0
        assert sample(text, series("downstream_circuit_open", downstream=name)) == 0


def test_metrics_can_be_turned_off() -> None:
    with Service(quick(metrics_enabled=False)) as service:
        assert service.get("/metrics").status_code == 404
        assert service.get("/v1/hello").status_code == 200


def test_each_app_counts_its_own_requests() -> None:
    with Service(quick()) as first, Service(quick()) as second:
        first.get("/v1/hello")
        first.get("/v1/hello")
        second.get("/v1/hello")
        first_text = first.get("/metrics").text
        second_text = second.get("/metrics").text
    hello = series("http_requests_total", method="GET", route="/v1/hello", status="200")
    assert sample(first_text, hello) == 2
    assert sample(second_text, hello) == 1
