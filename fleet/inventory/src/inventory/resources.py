"""The routers of this service's own resources: stock levels."""

from fastapi import APIRouter

from .database import Database
from .stock import stock_router


def resource_routers(database: Database) -> list[APIRouter]:
    return [stock_router(database)]
