"""Stock levels and the reservations the order saga makes (see handlers.py).

PUT /v1/stock/{sku} {"available": n} sets a product's stock; GET /v1/stock/{sku} reads it. A reservation is
one row per order: `reserved` takes the quantity out of `available`, `released` gives it back, `rejected`
records a shortage. The row is the step's idempotency key: an order is reserved at most once.
"""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy import String
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from .database import Database
from .models import Base


class Stock(Base):
    __tablename__ = "stock"

    sku: Mapped[str] = mapped_column(String(100), primary_key=True)
    available: Mapped[int]


class Reservation(Base):
    __tablename__ = "reservations"

    order_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[int]
    status: Mapped[str] = mapped_column(String(20))  # reserved, released or rejected


class StockLevel(BaseModel):
    available: int = Field(ge=0, le=10**9)


def stock_router(database: Database) -> APIRouter:
    router = APIRouter(prefix="/v1/stock")
    RequestSession = Annotated[AsyncSession, Depends(database.session)]

    @router.put("/{sku}")
    async def put(sku: str, level: StockLevel, session: RequestSession) -> StockLevel:
        async with session.begin():
            await session.execute(
                insert(Stock)
                .values(sku=sku, available=level.available)
                .on_conflict_do_update(index_elements=[Stock.sku], set_={"available": level.available})
            )
        return level

    @router.get("/{sku}")
    async def get(sku: str, session: RequestSession) -> StockLevel:
        stock = await session.get(Stock, sku)
        if stock is None:
            raise HTTPException(status_code=404, detail=f"no stock of {sku}")
        return StockLevel(available=stock.available)

    return router
