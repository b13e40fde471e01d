"""`--since` / `--until` values: an ISO date or date-time (UTC unless it says otherwise), or `<n>d|w|h` ago."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from groundwork.errors import GroundworkError

RELATIVE = re.compile(r"^(\d+)([hdw])$")
UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


def parse_moment(flag: str, value: str, now: datetime) -> datetime:
    text = value.strip()
    relative = RELATIVE.match(text)
    if relative:
        return now - int(relative.group(1)) * UNITS[relative.group(2)]
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise GroundworkError(
            f"{flag} '{value}' is not a date",
            "use an ISO date or date-time (2026-03-01, 2026-03-01T09:00:00Z) or an age such as 30d, 12w or 6h",
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
