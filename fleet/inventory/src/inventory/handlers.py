"""Inventory's steps of the order saga: reserve on `order.placed`, release on `order.cancelled`."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from .consumer import Handler
from .messages import Event
from .outbox import publish
from .stock import Reservation, Stock

TOPIC = "inventory.events"


async def reserve(session: AsyncSession, event: Event) -> None:
    order_id = uuid.UUID(str(event.data["order_id"]))
    sku, quantity = str(event.data["sku"]), int(event.data["quantity"])
    if await session.get(Reservation, order_id) is not None:
        return  # this order was answered before
    stock = await session.get(Stock, sku, with_for_update=True)
    available = stock.available if stock is not None else 0
    reply = {"order_id": str(order_id), "sku": sku, "quantity": quantity}
    if stock is None or available < quantity:
        session.add(Reservation(order_id=order_id, sku=sku, quantity=quantity, status="rejected"))
        reason = f"out of stock: {quantity} of {sku} asked, {available} available"
        publish(session, TOPIC, str(order_id), "stock.shortage", reply | {"reason": reason})
        return
    stock.available -= quantity
    session.add(Reservation(order_id=order_id, sku=sku, quantity=quantity, status="reserved"))
    publish(session, TOPIC, str(order_id), "stock.reserved", reply)


async def release(session: AsyncSession, event: Event) -> None:
    order_id = uuid.UUID(str(event.data["order_id"]))
    reservation = await session.get(Reservation, order_id, with_for_update=True)
    if reservation is None or reservation.status != "reserved":
        return  # nothing was taken for this order, or it was given back already
    stock = await session.get(Stock, reservation.sku, with_for_update=True)
    if stock is None:
        raise LookupError(f"reservation of {reservation.sku}, which has no stock row")
    stock.available += reservation.quantity
    reservation.status = "released"
    publish(session, TOPIC, str(order_id), "stock.released", {"order_id": str(order_id), "sku": reservation.sku})


HANDLERS: dict[str, Handler] = {"order.placed": reserve, "order.cancelled": release}
