"""Orders, placed through a saga that this service orchestrates over events.

POST /v1/orders stores the order as `pending` and, in the same transaction, publishes `order.placed`. From
there the events move it on (handlers.py), one state change and at most one event per step:

    inventory.events  stock.reserved    pending           -> awaiting_payment, publish order.payment-requested
    inventory.events  stock.shortage    pending           -> rejected (nothing reserved, nothing charged)
    payment.events    payment.charged   awaiting_payment  -> confirmed, publish order.confirmed
    payment.events    payment.declined  awaiting_payment  -> cancelled, publish order.cancelled

`order.cancelled` is the compensation: inventory releases what it reserved and payment refunds what it
charged (each does what applies to it, once). POST /v1/orders/{id}/cancel cancels a saga still under way.
Events of one order share its id as key, so each service sees them in the order they were written.
"""

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy import DateTime, String, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from .database import Database
from .models import Base
from .outbox import publish

TOPIC = "order.events"
UNDER_WAY = ("pending", "awaiting_payment")


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    customer: Mapped[str] = mapped_column(String(100))
    sku: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[int]
    amount_cents: Mapped[int]
    # pending, awaiting_payment, then confirmed, rejected or cancelled
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class NewOrder(BaseModel):
    customer: str = Field(min_length=1, max_length=100)
    sku: str = Field(min_length=1, max_length=100)
    quantity: int = Field(gt=0, le=1000)
    amount_cents: int = Field(gt=0, le=10**9)


class OrderOut(BaseModel):
    id: uuid.UUID
    status: str
    reason: str | None


def move(session: AsyncSession, order: Order, status: str, event_type: str | None, reason: str | None = None) -> None:
    """One step of the saga: the new state and, in the same transaction, the event announcing it."""
    order.status, order.reason = status, reason
    if event_type is not None:
        data: dict[str, object] = {"order_id": str(order.id), "customer": order.customer, "sku": order.sku}
        data |= {"quantity": order.quantity, "amount_cents": order.amount_cents}
        if reason is not None:
            data["reason"] = reason
        publish(session, TOPIC, str(order.id), event_type, data)


def orders_router(database: Database) -> APIRouter:
    router = APIRouter(prefix="/v1/orders")
    RequestSession = Annotated[AsyncSession, Depends(database.session)]

    @router.post("", status_code=202)
    async def place(new: NewOrder, session: RequestSession) -> OrderOut:
        order = Order(id=uuid.uuid4(), status="pending", **new.model_dump())
        async with session.begin():
            session.add(order)
            move(session, order, "pending", "order.placed")
        return OrderOut(id=order.id, status=order.status, reason=None)

    @router.get("/{order_id}")
    async def read(order_id: uuid.UUID, session: RequestSession) -> OrderOut:
        order = await session.get(Order, order_id)
        if order is None:
            raise HTTPException(status_code=404, detail=f"no order {order_id}")
        return OrderOut(id=order.id, status=order.status, reason=order.reason)

    @router.post("/{order_id}/cancel")
    async def cancel(order_id: uuid.UUID, session: RequestSession) -> OrderOut:
        async with session.begin():
            order = await session.get(Order, order_id, with_for_update=True)
            if order is None:
                raise HTTPException(status_code=404, detail=f"no order {order_id}")
            if order.status not in UNDER_WAY:
                raise HTTPException(status_code=409, detail=f"order {order_id} is already {order.status}")
            move(session, order, "cancelled", "order.cancelled", "cancelled by the customer")
        return OrderOut(id=order.id, status=order.status, reason=order.reason)

    return router
