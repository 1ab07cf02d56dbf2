"""pipelines-api.txt's sync operations (discover, runs, stop, cursor reset, cron, run-all, the webhook trigger) and
Junction's own run operations (restore a cursor, refresh or backfill one stream, notifications): request models.

Run statuses, triggers and schedule frequencies as documented.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

_CLOSED = ConfigDict(extra="forbid")

PENDING, RUNNING, COMPLETED, FAILED, CANCELLED = "PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"
ACTIVE = (PENDING, RUNNING)
FINISHED = (COMPLETED, FAILED, CANCELLED)
RunStatus = Literal["PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"]
Trigger = Literal["MANUAL", "SCHEDULED", "RUN_ALL", "WEBHOOK", "INTEGRATION", "BACKFILL"]
FREQUENCIES = ("hourly", "daily", "weekly", "monthly")
DEFAULT_STREAM = "transcripts"  # pipelines-api.txt: `stream` "defaults to \"transcripts\""

RUNS = "sync_runs"
CURSORS = "sync_cursors"
CONNECTIONS = "sync_connections"
NOTIFICATIONS = "sync_notifications"

StreamName = Field(min_length=1, max_length=200)


class RunTrigger(BaseModel):
    """Trigger Sync: `{"streams": [...]}` (every stream when absent or empty)."""

    model_config = _CLOSED
    streams: list[str] | None = Field(default=None, max_length=500)


class RunListQuery(BaseModel):
    model_config = _CLOSED
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=1_000_000)


def _iso(value: str | None) -> str | None:
    if value is not None:
        datetime.fromisoformat(value.replace("Z", "+00:00"))  # a ValueError is the 422 the caller sees
    return value


class CursorReset(BaseModel):
    """Reset Sync Cursor: a date sets one stream's cursor; `null` clears every cursor (a full resync)."""

    model_config = _CLOSED
    stream: str = Field(default=DEFAULT_STREAM, min_length=1, max_length=200)
    cursor: str | None

    _date = field_validator("cursor")(_iso)


class CursorRestore(BaseModel):
    """Junction's own: every stream's cursor as it stood at `version` of the connection's cursor history."""

    model_config = _CLOSED
    version: int = Field(ge=0)


class StreamRefresh(BaseModel):
    """Junction's own: sync one stream again from `since` (a backfill), or from nothing (a full refresh)."""

    model_config = _CLOSED
    since: str | None = None

    _date = field_validator("since")(_iso)


class NotificationListQuery(BaseModel):
    model_config = _CLOSED
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=1_000_000)
    userId: str | None = Field(default=None, max_length=200)
