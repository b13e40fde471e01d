"""The routers of this service's own resources: the notifications sent."""

from fastapi import APIRouter

from .database import Database
from .notifications import notifications_router


def resource_routers(database: Database) -> list[APIRouter]:
    return [notifications_router(database)]
