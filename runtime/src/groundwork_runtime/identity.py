"""Who the service is, as its telemetry names it: given by the service (its template answers), read by the
runtime."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Identity:
    """The service's name (also its namespace, Prometheus job and container), domain and running version."""

    name: str
    domain: str
    version: str
