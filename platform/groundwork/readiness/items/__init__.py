"""One module per readiness item: `assess(context) -> list[Check]`."""
