"""Payment's steps of the order saga: charge on `order.payment-requested`, refund on `order.cancelled`."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from .accounts import Account, Charge
from .consumer import Handler
from .messages import Event
from .outbox import publish

TOPIC = "payment.events"


async def charge(session: AsyncSession, event: Event) -> None:
    order_id = uuid.UUID(str(event.data["order_id"]))
    customer, amount = str(event.data["customer"]), int(event.data["amount_cents"])
    if await session.get(Charge, order_id) is not None:
        return  # this order was answered before: never a second charge
    account = await session.get(Account, customer, with_for_update=True)
    reply = {"order_id": str(order_id), "amount_cents": amount}
    if account is None or account.balance_cents < amount:
        session.add(Charge(order_id=order_id, customer=customer, amount_cents=amount, status="declined"))
        reason = "no account" if account is None else "insufficient funds"
        publish(session, TOPIC, str(order_id), "payment.declined", reply | {"reason": f"payment declined: {reason}"})
        return
    account.balance_cents -= amount
    session.add(Charge(order_id=order_id, customer=customer, amount_cents=amount, status="charged"))
    publish(session, TOPIC, str(order_id), "payment.charged", reply)


async def refund(session: AsyncSession, event: Event) -> None:
    order_id = uuid.UUID(str(event.data["order_id"]))
    charged = await session.get(Charge, order_id, with_for_update=True)
    if charged is None or charged.status != "charged":
        return  # nothing was taken for this order, or it was given back already
    account = await session.get(Account, charged.customer, with_for_update=True)
    if account is None:
        raise LookupError(f"a charge of {charged.customer}, who has no account")
    account.balance_cents += charged.amount_cents
    charged.status = "refunded"
    publish(session, TOPIC, str(order_id), "payment.refunded", {"order_id": str(order_id)})


HANDLERS: dict[str, Handler] = {"order.payment-requested": charge, "order.cancelled": refund}
