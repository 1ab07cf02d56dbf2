"""The sync service's name, topics and the documented paths it owns."""

from __future__ import annotations

SERVICE = "sync"
COMMANDS = "sync.commands"
RUN_EVENTS = "sync.run.events"
TABLE_EVENTS = "sync.table.events"
RECORD_EVENTS = "sync.record.events"
CURSOR_EVENTS = "sync.cursor.events"
NOTIFICATION_EVENTS = "sync.notification.events"

# Base paths of the references this service answers (see ../shared/DESIGN.md, "Where each seed's operations live").
CONNECT_BASE = "/connect/v1"
PIPELINES_BASE = "/api/pipelines"
INTEGRATIONS_BASE = "/v1/integrations"
