"""MongoDB access through pymongo's async API (AsyncMongoClient)."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from junction_common.outage_probes import watch_mongodb
from junction_common.settings import JunctionSettings

Doc = dict[str, Any]


# Admin work (creating a workspace, its keys) waits at least this long for the server, whatever a serving
# process's fail-fast setting is (the gateway's is 3 s): it has no caller to answer 503 to.
ADMIN_SELECTION_TIMEOUT_S = 15.0


def create_client(settings: JunctionSettings, *, admin: bool = False) -> AsyncMongoClient[Doc]:
    watch_mongodb(settings.mongodb_url)  # where the outage tracker asks whether the database is back
    timeout_s = settings.mongo_selection_timeout_s
    timeout_ms = int((max(timeout_s, ADMIN_SELECTION_TIMEOUT_S) if admin else timeout_s) * 1000)
    return AsyncMongoClient(settings.mongodb_url, tz_aware=True, serverSelectionTimeoutMS=timeout_ms)


def service_db(client: AsyncMongoClient[Doc], settings: JunctionSettings, service: str) -> AsyncDatabase[Doc]:
    """The database a service owns (its event store, outcomes and projections)."""
    return client[settings.db_name(service)]
