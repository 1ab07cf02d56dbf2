"""Connection aggregate (`conn_...`): a workspace's credentials for one provider (or a bare workflow credential).

Invariants:
- A connection is created once; a deleted connection accepts nothing more (deleting again changes nothing).
- Its credentials are only ever held sealed (vault ciphertext, bound to its workspace and id); a disconnect or a
  delete erases them from the state and the read model, the events before stay.
- Its status is CONNECTED, DISCONNECTED or ERROR: a test's outcome (`last_error`, `last_checked_at`) sets it; a
  disconnected connection is only connected again by new credentials, so a check of it records nothing.
- Disconnecting twice changes nothing; an update that changes nothing emits no event.
- Times come from the command (the service measured them), never from a clock here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from connections.domain.events import build
from connections_contracts import connection as cx
from junction_common.decisions import CommandRejected
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent

SETTINGS = ("name", "config", "schedule", "notify_user_ids")


@dataclass(frozen=True)
class Connection:
    connection_id: str
    record: dict[str, Any]  # as the API presents it (ConnectionRecord), no secret
    credentials_sealed: dict[str, Any] | None = None

    @property
    def status(self) -> str:
        return str(self.record.get("status"))

    @property
    def deleted(self) -> bool:
        return bool(self.record.get("deleted"))

    def changed(self, changes: dict[str, Any]) -> dict[str, Any]:
        return {**self.record, **changes}


def evolve(state: Connection | None, event: EventEnvelope) -> Connection | None:
    """The connection after `event`: a creation's `record`, a change's `changes`, the sealed credentials apart."""
    verb = event.type.rsplit(".", 1)[-1]
    data = event.data
    if verb == "created":
        record = {**data["record"], "created_at": event.occurred_at.isoformat()}
        return Connection(event.stream_id, record, data.get("credentials_sealed"))
    if state is None:
        return None
    state = replace(state, record=state.changed(data["changes"]))
    if verb == "credentials_replaced":
        return replace(state, credentials_sealed=data["credentials_sealed"])
    if verb in ("disconnected", "deleted"):
        return replace(state, credentials_sealed=None)
    return state


def fold(events: list[EventEnvelope]) -> Connection | None:
    state: Connection | None = None
    for event in events:
        state = evolve(state, event)
    return state


def decide(cmd: CommandEnvelope, events: list[EventEnvelope]) -> list[NewEvent]:
    state = fold(events)
    if cmd.type == cx.CREATE:
        if state is not None:
            raise CommandRejected("VALIDATION_ERROR", "The connection already exists.", {"id": cmd.aggregate_id})
        return [_create(cmd.data)]
    if state is None or (state.deleted and cmd.type != cx.DELETE):
        raise CommandRejected("NOT_FOUND", "The connection could not be found.", {"id": cmd.aggregate_id})
    return _change(cmd, state)


def _change(cmd: CommandEnvelope, state: Connection) -> list[NewEvent]:
    if cmd.type == cx.DELETE:
        return [] if state.deleted else [_ended("connection.deleted", state, deleted=True)]
    if cmd.type == cx.DISCONNECT:
        return [] if state.status == cx.DISCONNECTED else [_ended("connection.disconnected", state)]
    if cmd.type == cx.UPDATE:
        return _update(state, cmd.data)
    if cmd.type == cx.RECORD_CHECK:
        return _check(state, cmd.data)
    if cmd.type == cx.RECONNECT:
        return [_replace(state, cmd.data)]
    raise CommandRejected("VALIDATION_ERROR", f"unknown command {cmd.type}")


def _check_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {"status": data["status"], "last_error": data.get("last_error"),
            "last_checked_at": data.get("last_checked_at")}


def _create(data: dict[str, Any]) -> NewEvent:
    record = {**data["record"], **_check_fields(data), "deleted": False}
    if data["status"] == cx.CONNECTED:
        record["connected_at"] = data.get("last_checked_at") or data.get("at")
    return build("connection.created", record=record, credentials_sealed=data.get("credentials_sealed"))


def _update(state: Connection, patch: dict[str, Any]) -> list[NewEvent]:
    changes = {k: v for k, v in patch.items() if k in SETTINGS and state.record.get(k) != v}
    if not changes:
        return []
    return [build("connection.updated", record=state.changed(changes), changes=changes)]


def _check(state: Connection, data: dict[str, Any]) -> list[NewEvent]:
    if state.status == cx.DISCONNECTED:
        raise CommandRejected("VALIDATION_ERROR", "The connection is disconnected: connect it with new credentials.",
                              {"status": cx.DISCONNECTED})
    changes = _check_fields(data)
    return [build("connection.checked", record=state.changed(changes), changes=changes)]


def _replace(state: Connection, data: dict[str, Any]) -> NewEvent:
    changes = {**_check_fields(data), "credential_fields": data["credential_fields"],
               "credential_preview": data.get("credential_preview")}
    if data["status"] == cx.CONNECTED and state.status != cx.CONNECTED:
        changes["connected_at"] = data.get("last_checked_at") or data.get("at")
    return build("connection.credentials_replaced", record=state.changed(changes), changes=changes,
                 credentials_sealed=data["credentials_sealed"])


def _ended(event_type: str, state: Connection, deleted: bool = False) -> NewEvent:
    """Disconnected or deleted: DISCONNECTED, the credentials' preview and field names gone with them."""
    changes: dict[str, Any] = {"status": cx.DISCONNECTED, "credential_preview": None, "credential_fields": []}
    if deleted:
        changes["deleted"] = True
    return build(event_type, record=state.changed(changes), changes=changes)
