"""The routers of this service's own resources: orders."""

from fastapi import APIRouter

from .database import Database
from .orders import orders_router


def resource_routers(database: Database) -> list[APIRouter]:
    return [orders_router(database)]
