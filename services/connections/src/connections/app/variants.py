"""Connection variants (pipelines-api, Connection Variants): connections of one provider account that share its
credentials, linked by a `variantGroupId`, each with its own label, config, schedule and webhook token.

- The source of a first variant joins a new group (`vgrp_...`) with a sequential label (`1`) where it has none.
- A variant without `variantLabel` gets the next free sequential label of its group (`2`, `3`, ...); a label
  already taken in the group is refused (409 CONFLICT). Without `name` it is named after its source, whose own
  label suffix (`(EU)`) is stripped first: `Production CRM (2)`.
- The variant's credentials are the source's (re-sealed for the variant, so each connection's ciphertext stays
  bound to it); its status, last error and check time are the source's, as nothing new was tested. A source
  still waiting for an OAuth authorization shares nothing: the variant is DISCONNECTED.
- New credentials on any variant reach every live variant of its group (Connections.replace/store_tokens);
  deleting or disconnecting one erases only its copy, and the provider grant is revoked only with the last one.
- `config.createOwnTables` (default false: the group's variants share one table per stream) and
  `config.variantGroupId` are stored as documented for the sync service; `notifyUserIds` likewise.
"""

from __future__ import annotations

import re
from typing import Any

from connections.app.inbound_tokens import Issued, issue_token
from connections.app.operations import Call, Connections
from connections_contracts import connection as cx
from junction_common.ids import new_ulid
from junction_common.web.envelope import ApiError

Doc = dict[str, Any]
LABEL_SUFFIX = re.compile(r"\s*\([^()]*\)\s*$")  # `Production CRM (EU)` -> `Production CRM`
COPIED = ("connector_type", "provider", "auth_type", "origin", "credential_type", "credential_fields",
          "credential_preview", "schedule", "notify_user_ids")


def group_config(config: Doc | None, group_id: str, own_tables: Any = None) -> Doc:
    """A variant's config: its own settings, the group's id, and whether it has tables of its own."""
    config = dict(config or {})
    config["variantGroupId"] = group_id
    config["createOwnTables"] = bool(config.get("createOwnTables", False) if own_tables is None else own_tables)
    return config


def next_label(taken: set[str]) -> str:
    """The smallest sequential label (`1`, `2`, ...) not taken in the group."""
    n = 1
    while str(n) in taken:
        n += 1
    return str(n)


class Variants:
    def __init__(self, connections: Connections) -> None:
        self.connections = connections

    async def create(self, call: Call, source: Doc, body: cx.VariantCreate) -> tuple[Doc, Issued]:
        """A variant of `source` sharing its credentials; the source joins a group first if it has none."""
        group_id = source.get("variant_group_id") or "vgrp_" + new_ulid()
        taken = await self._labels(call.workspace_id, group_id)
        if not source.get("variant_group_id"):
            label = next_label(taken)
            source = await self.connections.run(call, cx.JOIN_VARIANT_GROUP, source["_id"], {
                "variant_group_id": group_id, "variant_label": label,
                "config": group_config(source.get("config"), group_id)})
            taken.add(label)
        label = body.variantLabel or next_label(taken)
        if label in taken:
            raise ApiError("CONFLICT", "That variant label is already used in the group.",
                           {"pointer": "/variantLabel", "variantGroupId": group_id}, status=409)
        connection_id = "conn_" + new_ulid()
        token = issue_token(self.connections.vault, call.workspace_id, connection_id)
        data = {"record": self._record(source, body, group_id, label), **self._shared(call, source, connection_id),
                "webhook_token": token.held}
        return await self.connections.run(call, cx.CREATE, connection_id, data), token

    def _record(self, source: Doc, body: cx.VariantCreate, group_id: str, label: str) -> Doc:
        record = {k: source.get(k) for k in COPIED if source.get(k) is not None}
        base = {k: v for k, v in (source.get("config") or {}).items() if k not in ("variantGroupId", "createOwnTables")}
        base_name = LABEL_SUFFIX.sub("", str(source.get("name") or "")) or str(source.get("name"))
        record.update(name=body.name or f"{base_name} ({label})", variant_group_id=group_id,
                      variant_label=label, config=group_config({**base, **(body.config or {})}, group_id))
        if body.schedule is not None:
            record["schedule"] = body.schedule.model_dump()
        if body.notifyUserIds is not None:
            record["notify_user_ids"] = body.notifyUserIds
        return record

    def _shared(self, call: Call, source: Doc, connection_id: str) -> Doc:
        """The source's credentials re-sealed for the variant, with the source's status; none while pending."""
        if source.get("status") == cx.DISCONNECTED or not source.get("credentials_sealed"):
            return {"status": cx.DISCONNECTED, "last_error": None, "last_checked_at": None,
                    "credentials_sealed": None}
        sealed = self.connections._seal(call.workspace_id, connection_id, self.connections.open(source))
        return {"status": source["status"], "last_error": source.get("last_error"),
                "last_checked_at": source.get("last_checked_at"), "at": source.get("connected_at"),
                "credentials_sealed": sealed}

    async def _labels(self, workspace_id: str, group_id: str) -> set[str]:
        return {str(d.get("variant_label")) async for d in self.connections.db.find({"variant_group_id": group_id})
                if d.get("workspace_id") == workspace_id and d.get("variant_label")}
