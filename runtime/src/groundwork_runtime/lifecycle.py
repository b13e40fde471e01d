"""Where the process is in its life. The probes read it; the lifespan and the server move it on."""


class Lifecycle:
    """Starting (until the lifespan start-up is done), serving, then draining (from SIGTERM on)."""

    def __init__(self) -> None:
        self.started = False
        self.draining = False

    def mark_started(self) -> None:
        self.started = True

    def begin_draining(self) -> None:
        """From now on /readyz answers 503 so no new traffic is routed here; requests in flight finish."""
        self.draining = True
