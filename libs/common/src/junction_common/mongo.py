"""MongoDB access through pymongo's async API (AsyncMongoClient)."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from junction_common.outage_probes import watch_mongodb
from junction_common.settings import JunctionSettings

Doc = dict[str, Any]


def create_client(settings: JunctionSettings) -> AsyncMongoClient[Doc]:
    watch_mongodb(settings.mongodb_url)  # where the outage tracker asks whether the database is back
    timeout_ms = int(settings.mongo_selection_timeout_s * 1000)
    return AsyncMongoClient(settings.mongodb_url, tz_aware=True, serverSelectionTimeoutMS=timeout_ms)


def service_db(client: AsyncMongoClient[Doc], settings: JunctionSettings, service: str) -> AsyncDatabase[Doc]:
    """The database a service owns (its event store, outcomes and projections)."""
    return client[settings.db_name(service)]
