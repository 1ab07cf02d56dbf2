"""Connection aggregate (`conn_...`): a workspace's credentials for one provider (or a bare workflow credential).

Invariants:
- A connection is created once; a deleted connection accepts nothing more (deleting again changes nothing).
- Its credentials are only ever held sealed (vault ciphertext, bound to its workspace and id); a disconnect or a
  delete erases them from the state and the read model, the events before stay.
- Its status is CONNECTED, DISCONNECTED or ERROR: a test's outcome (`last_error`, `last_checked_at`) sets it; a
  disconnected connection is only connected again by new credentials, so a check of it records nothing.
- Disconnecting twice changes nothing; an update that changes nothing emits no event.
- Times come from the command (the service measured them), never from a clock here.
- Its inbound webhook token is replaced only by one of a newer format (a repeat changes nothing).
- A refused refresh token (credentials_invalid) of a disconnected connection records nothing.
- A key rotation re-wraps only the sealed secrets it read: if they changed since, it records nothing for them.
- It joins a variant group once.
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
    webhook_token: dict[str, Any] | None = None

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
        return Connection(event.stream_id, record, data.get("credentials_sealed"), data.get("webhook_token"))
    if state is None:
        return None
    state = replace(state, record=state.changed(data["changes"]))
    if verb == "credentials_replaced":
        return replace(state, credentials_sealed=data["credentials_sealed"])
    if verb == "webhook_token_issued":
        return replace(state, webhook_token=data["webhook_token"])
    if verb == "credentials_rotated":
        return _rotated(state, data)
    if verb in ("disconnected", "deleted"):
        return replace(state, credentials_sealed=None)
    return state


def _rotated(state: Connection, data: dict[str, Any]) -> Connection:
    if data.get("credentials_sealed"):
        state = replace(state, credentials_sealed=data["credentials_sealed"])
    if data.get("webhook_token_sealed") and state.webhook_token:
        state = replace(state, webhook_token={**state.webhook_token, "sealed": data["webhook_token_sealed"]})
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
        return [] if state.deleted else [_ended("connection.deleted", state, cmd.data, deleted=True)]
    if cmd.type == cx.DISCONNECT:
        return [] if state.status == cx.DISCONNECTED else [_ended("connection.disconnected", state, cmd.data)]
    if cmd.type == cx.UPDATE:
        return _update(state, cmd.data)
    if cmd.type == cx.RECORD_CHECK:
        return _check(state, cmd.data)
    if cmd.type == cx.RECONNECT:
        return [_replace(state, cmd.data)]
    if cmd.type in _SECRETS_AND_GROUPS:
        return _SECRETS_AND_GROUPS[cmd.type](state, cmd.data)
    raise CommandRejected("VALIDATION_ERROR", f"unknown command {cmd.type}")


def _check_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {"status": data["status"], "last_error": data.get("last_error"),
            "last_checked_at": data.get("last_checked_at")}


def _create(data: dict[str, Any]) -> NewEvent:
    record = {**data["record"], **_check_fields(data), "deleted": False}
    if data["status"] == cx.CONNECTED:
        record["connected_at"] = data.get("last_checked_at") or data.get("at")
    if data.get("webhook_token"):
        record["webhook_token_prefix"] = data["webhook_token"]["prefix"]
        return build("connection.created", record=record, credentials_sealed=data.get("credentials_sealed"),
                     webhook_token=data["webhook_token"])
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


def _ended(event_type: str, state: Connection, data: dict[str, Any], deleted: bool = False) -> NewEvent:
    """Disconnected or deleted: DISCONNECTED, the credentials' preview and field names gone with them, and what
    the provider said to revoking them (recorded, never blocking)."""
    changes: dict[str, Any] = {"status": cx.DISCONNECTED, "credential_preview": None, "credential_fields": []}
    if deleted:
        changes["deleted"] = True
    if data.get("provider_revoke"):
        changes["provider_revoke"] = data["provider_revoke"]
        changes["provider_revoke_error"] = data.get("provider_revoke_error")
    return build(event_type, record=state.changed(changes), changes=changes)


def _issue_token(state: Connection, data: dict[str, Any]) -> list[NewEvent]:
    """A token where there is none, or in place of one of an older format."""
    token = data["webhook_token"]
    if state.webhook_token and int(state.webhook_token.get("format", 0)) >= int(token["format"]):
        return []
    changes = {"webhook_token_prefix": token["prefix"]}
    return [build("connection.webhook_token_issued", record=state.changed(changes), changes=changes,
                  webhook_token=token)]


def _reveal(state: Connection, data: dict[str, Any]) -> list[NewEvent]:
    if not state.webhook_token:
        raise CommandRejected("VALIDATION_ERROR", "The connection has no webhook token.", {"id": state.connection_id})
    return [build("connection.webhook_url_revealed", record=state.record, changes={},
                  upgraded=bool(data.get("upgraded")))]


def _join_group(state: Connection, data: dict[str, Any]) -> list[NewEvent]:
    if state.record.get("variant_group_id"):
        return []
    changes = {k: data[k] for k in ("variant_group_id", "variant_label", "config")}
    return [build("connection.variant_group_joined", record=state.changed(changes), changes=changes)]


def _credentials_invalid(state: Connection, data: dict[str, Any]) -> list[NewEvent]:
    if state.status == cx.DISCONNECTED:
        return []
    changes = {**_check_fields(data), "status": cx.ERROR}
    return [build("connection.credentials_invalid", record=state.changed(changes), changes=changes)]


def _same_secret(held: dict[str, Any] | None, given: dict[str, Any] | None) -> bool:
    """`given` re-wraps exactly the secret `held` (same ciphertext and nonce) under another key."""
    return bool(held and given and held["ciphertext"] == given["ciphertext"] and held["nonce"] == given["nonce"]
                and held["kid"] != given["kid"])


def _rotate(state: Connection, data: dict[str, Any]) -> list[NewEvent]:
    parts: dict[str, Any] = {}
    if _same_secret(state.credentials_sealed, data.get("credentials_sealed")):
        parts["credentials_sealed"] = data["credentials_sealed"]
    held_token = (state.webhook_token or {}).get("sealed")
    if _same_secret(held_token, data.get("webhook_token_sealed")):
        parts["webhook_token_sealed"] = data["webhook_token_sealed"]
    if not parts:
        return []
    return [build("connection.credentials_rotated", record=state.record, changes={}, **parts)]


_SECRETS_AND_GROUPS = {
    cx.ISSUE_WEBHOOK_TOKEN: _issue_token, cx.REVEAL_WEBHOOK_URL: _reveal, cx.JOIN_VARIANT_GROUP: _join_group,
    cx.MARK_CREDENTIALS_INVALID: _credentials_invalid, cx.ROTATE_KEYS: _rotate,
}
