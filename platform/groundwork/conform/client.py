"""A small blocking HTTP client over http.client: one connection per request, nothing pooled or retried,
so what the suite sends is exactly what the service sees."""

import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def json_or_none(self) -> Any:
        try:
            return self.json()
        except ValueError:
            return None


class TransportError(Exception):
    """No answer: refused, reset or timed out."""


def request(
    method: str, url: str, headers: dict[str, str] | None = None, body: bytes | None = None, timeout: float = 10.0
) -> Response:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=timeout)
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    try:
        connection.request(method, path, body=body, headers=headers or {})
        answer = connection.getresponse()
        data = answer.read()
        return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, data)
    except (OSError, http.client.HTTPException) as error:
        raise TransportError(f"{method} {url}: {type(error).__name__}: {error}") from None
    finally:
        connection.close()


def get(url: str, headers: dict[str, str] | None = None, timeout: float = 10.0) -> Response:
    return request("GET", url, headers=headers, timeout=timeout)
