"""Notification's part in the order saga: a message to the customer when an order ends."""

import uuid

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from .consumer import Handler
from .messages import Event
from .notifications import Notification


def _text(kind: str, event: Event) -> str:
    quantity, sku = event.data.get("quantity"), event.data.get("sku")
    if kind == "confirmed":
        return f"Your order of {quantity} x {sku} is confirmed."
    return f"Your order of {quantity} x {sku} was {kind}: {event.data.get('reason', 'no reason given')}."


def notify(kind: str) -> Handler:
    async def handler(session: AsyncSession, event: Event) -> None:
        order_id = uuid.UUID(str(event.data["order_id"]))
        row = {"order_id": order_id, "kind": kind, "customer": str(event.data["customer"]), "text": _text(kind, event)}
        await session.execute(insert(Notification).values(**row).on_conflict_do_nothing())

    return handler


HANDLERS: dict[str, Handler] = {
    "order.confirmed": notify("confirmed"),
    "order.cancelled": notify("cancelled"),
    "order.rejected": notify("rejected"),
}
