"""What notification tells customers about their orders: one message per order and outcome.

The order saga's end events (order.confirmed, order.cancelled, order.rejected) each become a row here, the
message a mail or push sender delivers (GET /v1/notifications?customer=... lists a customer's). The row is
keyed by order and kind: a redelivered event never sends a second message.
"""

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import DateTime, String, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from .database import Database
from .models import Base


class Notification(Base):
    __tablename__ = "notifications"

    order_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)  # confirmed, cancelled or rejected
    customer: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class NotificationOut(BaseModel):
    order_id: uuid.UUID
    kind: str
    text: str


def notifications_router(database: Database) -> APIRouter:
    router = APIRouter(prefix="/v1/notifications")
    RequestSession = Annotated[AsyncSession, Depends(database.session)]

    @router.get("")
    async def of_customer(customer: str, session: RequestSession) -> list[NotificationOut]:
        rows = await session.scalars(
            select(Notification).where(Notification.customer == customer).order_by(Notification.created_at)
        )
        return [NotificationOut(order_id=row.order_id, kind=row.kind, text=row.text) for row in rows]

    return router
