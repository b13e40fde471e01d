"""The routers of this service's own resources: accounts."""

from fastapi import APIRouter

from .accounts import accounts_router
from .database import Database


def resource_routers(database: Database) -> list[APIRouter]:
    return [accounts_router(database)]
