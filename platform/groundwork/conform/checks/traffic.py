"""The traffic the telemetry checks judge: known routes, an unmatched path, an unusual method, and traced
requests with a sampled, an unsampled and no inbound traceparent."""

import secrets

from groundwork.conform import client as http
from groundwork.conform.contract import CHAIN_PATH, HELLO_PATH
from groundwork.conform.session import Session, Traffic

HELLO_COUNT = 3
UNMATCHED_PATH = "/conform-unmatched/12345"
UNUSUAL_METHOD = "PURGE"  # parsed by common HTTP servers, outside the standard set


def traceparent(trace_id: str, parent: str, sampled: bool) -> str:
    return f"00-{trace_id}-{parent}-{'01' if sampled else '00'}"


def discover_routes(session: Session) -> None:
    """Whether the demo routes of the contract's conformance hooks exist."""
    if session.downstreams:
        session.has_chain = http.get(f"{session.url}{CHAIN_PATH}").status == 200
        if session.has_chain:
            post = http.request("POST", f"{session.url}{CHAIN_PATH}", body=b"")
            session.has_post_chain = post.status not in (404, 405)


def send_traffic(session: Session) -> Traffic:
    url = session.url
    hello_route = HELLO_PATH if http.get(f"{url}{HELLO_PATH}").status == 200 else "/livez"
    for _ in range(HELLO_COUNT):
        http.get(f"{url}{hello_route}?conform=1")
    http.get(f"{url}{UNMATCHED_PATH}")
    http.request(UNUSUAL_METHOD, f"{url}{hello_route}")
    root_path = CHAIN_PATH if session.has_chain else hello_route
    sampled, parent, unsampled = secrets.token_hex(16), secrets.token_hex(8), secrets.token_hex(16)
    http.get(f"{url}{root_path}", headers={"traceparent": traceparent(sampled, parent, True)})
    http.get(f"{url}{root_path}", headers={"traceparent": traceparent(unsampled, secrets.token_hex(8), False)})
    http.get(f"{url}{root_path}")  # a root: the suite's sampler ratio is 1
    return Traffic(
        hello_route=hello_route,
        hello_count=HELLO_COUNT + (1 if hello_route == HELLO_PATH else 0),
        unmatched_path=UNMATCHED_PATH,
        sampled_trace=sampled,
        sampled_parent=parent,
        unsampled_trace=unsampled,
        root_path=root_path,
    )
