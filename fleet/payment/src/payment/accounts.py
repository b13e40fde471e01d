"""Customers' accounts and the charges the order saga makes (see handlers.py).

PUT /v1/accounts/{customer} {"balance_cents": n} sets an account's balance; GET reads it. A charge is one
row per order: `charged` took the amount, `declined` took nothing, `refunded` gave it back. The row is the
step's idempotency key: an order is charged at most once.
"""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy import BigInteger, String
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from .database import Database
from .models import Base


class Account(Base):
    __tablename__ = "accounts"

    customer: Mapped[str] = mapped_column(String(100), primary_key=True)
    balance_cents: Mapped[int] = mapped_column(BigInteger)


class Charge(Base):
    __tablename__ = "charges"

    order_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    customer: Mapped[str] = mapped_column(String(100))
    amount_cents: Mapped[int]
    status: Mapped[str] = mapped_column(String(20))  # charged, declined or refunded


class Balance(BaseModel):
    balance_cents: int = Field(ge=0, le=10**12)


def accounts_router(database: Database) -> APIRouter:
    router = APIRouter(prefix="/v1/accounts")
    RequestSession = Annotated[AsyncSession, Depends(database.session)]

    @router.put("/{customer}")
    async def put(customer: str, balance: Balance, session: RequestSession) -> Balance:
        async with session.begin():
            await session.execute(
                insert(Account)
                .values(customer=customer, balance_cents=balance.balance_cents)
                .on_conflict_do_update(index_elements=[Account.customer], set_={"balance_cents": balance.balance_cents})
            )
        return balance

    @router.get("/{customer}")
    async def get(customer: str, session: RequestSession) -> Balance:
        account = await session.get(Account, customer)
        if account is None:
            raise HTTPException(status_code=404, detail=f"no account of {customer}")
        return Balance(balance_cents=account.balance_cents)

    return router
