"""The saga's replies, from inventory and payment: each moves an order one step (see orders.py).

A reply for an order no longer in the state it answers (a late reply after a cancel) changes nothing: the
compensation that cancel published already covers it.
"""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from .consumer import Handler
from .messages import Event
from .orders import Order, move


async def _order(session: AsyncSession, event: Event, expected: str) -> Order | None:
    order = await session.get(Order, uuid.UUID(str(event.data["order_id"])), with_for_update=True)
    if order is None:
        raise LookupError(f"{event.type} for an unknown order {event.data['order_id']}")
    return order if order.status == expected else None


async def stock_reserved(session: AsyncSession, event: Event) -> None:
    if order := await _order(session, event, "pending"):
        move(session, order, "awaiting_payment", "order.payment-requested")


async def stock_shortage(session: AsyncSession, event: Event) -> None:
    if order := await _order(session, event, "pending"):
        move(session, order, "rejected", "order.rejected", str(event.data.get("reason", "out of stock")))


async def payment_charged(session: AsyncSession, event: Event) -> None:
    if order := await _order(session, event, "awaiting_payment"):
        move(session, order, "confirmed", "order.confirmed")


async def payment_declined(session: AsyncSession, event: Event) -> None:
    if order := await _order(session, event, "awaiting_payment"):
        move(session, order, "cancelled", "order.cancelled", str(event.data.get("reason", "payment declined")))


HANDLERS: dict[str, Handler] = {
    "stock.reserved": stock_reserved,
    "stock.shortage": stock_shortage,
    "payment.charged": payment_charged,
    "payment.declined": payment_declined,
}
