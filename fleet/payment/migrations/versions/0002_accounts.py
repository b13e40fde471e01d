"""Accounts and charges.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("customer", sa.String(100), primary_key=True),
        sa.Column("balance_cents", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "charges",
        sa.Column("order_id", sa.Uuid(), primary_key=True),
        sa.Column("customer", sa.String(100), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("charges")
    op.drop_table("accounts")
