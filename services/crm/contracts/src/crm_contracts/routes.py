"""Catalogued operations the crm serves that need no hand-written edge code: the gateway forwards them with the
catalogue's scope checks, validating the models named here first (see junction_common.contracts.operations).

Found by the gateway through the `junction.operations` entry points (this package's pyproject).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from crm_contracts.analytics import EventPayload
from junction_common.contracts.operations import Served


class PageQuery(BaseModel):
    """A free-text search with cursor paging (newest first)."""

    query: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=25, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=512)


class ContactQuery(PageQuery):
    company_id: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_]+$")


SERVED = [
    Served("listContacts", "crm", query=ContactQuery),
    Served("searchCmsEntries", "crm", query=PageQuery),
    Served("validateAnalyticsEvent", "crm", body=EventPayload),
]
