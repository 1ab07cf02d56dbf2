"""Trigger subscriptions of a flow (`/connect/v1/flows/:flowId/triggers`): checked against what only the service
knows (the flow exists in the workspace, the form exists, the provider has that poll trigger), then created or
updated or deleted through the executor. A webhook subscription gets a random token (its URL, shown once in the create
answer; only its hash is kept) and optionally a secret (vault-sealed) its callers sign bodies with."""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

from pydantic.alias_generators import to_camel

from flows.actions.runner import ProviderActions
from flows.forms.commands import run_command
from flows_contracts import forms as fx
from flows_contracts import triggers as tx
from flows_contracts import workflows as wx
from junction_common.identity import Principal
from junction_common.ids import new_ulid
from junction_common.service import ServiceRuntime
from junction_common.vault import SealedSecret, Vault, parse_keys
from junction_common.web.envelope import ApiError

Doc = dict[str, Any]
HOOK_PATH = "/connect/v1/flow-hooks/"
SHOWN = ("id", "flow_id", "kind", "provider_type", "trigger_name", "provider_event", "connection_id", "config",
         "status", "has_secret", "created_at", "updated_at")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def trigger_view(doc: Doc) -> Doc:
    """A subscription as connect-api shows it (camelCase): never its token hash or sealed secret."""
    return {to_camel(k): doc.get(k) for k in SHOWN}


def secret_aad(workspace_id: str, trigger_id: str) -> bytes:
    return f"flow_trigger:{workspace_id}:{trigger_id}".encode()


class Subscriptions:
    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        settings = runtime.settings
        self.vault = Vault(parse_keys(settings.vault_keys), settings.vault_active_key)
        self.base_url = str(getattr(settings, "public_base_url", "")).rstrip("/")

    @property
    def docs(self) -> Any:
        return self.runtime.db[tx.TRIGGERS]

    async def flow(self, principal: Principal, flow_id: str) -> Doc:
        doc = await self.runtime.db[wx.COLLECTION].find_one({"_id": flow_id})
        if doc is None or doc.get("workspace_id") != principal.workspace_id or doc.get("deleted"):
            raise ApiError("NOT_FOUND", "Flow not found.", {"flowId": flow_id})
        return dict(doc)

    async def of_flow(self, principal: Principal, flow_id: str) -> list[Doc]:
        await self.flow(principal, flow_id)
        found = self.docs.find({"flow_id": flow_id}).sort("_id", 1)
        return [d async for d in found if d.get("workspace_id") == principal.workspace_id
                and d.get("status") == "active"]

    async def create(self, principal: Principal, request_id: str, flow_id: str, body: tx.TriggerCreate) -> Doc:
        """A new subscription; a webhook's answer carries its URL (the only time the token is shown)."""
        await self.flow(principal, flow_id)
        spec = await self._check_source(principal, body)
        trigger_id = "trg_" + new_ulid()
        config = dict(body.config)
        record: Doc = {"flow_id": flow_id, "kind": body.kind, "provider_type": body.provider_type,
                       "trigger_name": body.trigger_name, "connection_id": body.connection_id,
                       "provider_event": spec.get("event") if body.kind == "webhook" else None}
        token = None
        if body.kind == "webhook":
            token = secrets.token_urlsafe(32)
            secret = config.pop("secret", None)
            if secret is not None:
                record.update(secret_sealed=self._sealed(secret, principal.workspace_id, trigger_id), has_secret=True)
            record["token_hash"] = token_hash(token)
        record["config"] = config
        doc = await run_command(self.runtime, principal, request_id, tx.CREATE_TRIGGER, trigger_id,
                                {"record": record}, tx.TRIGGERS)
        return self._answer(doc, token)

    def _answer(self, doc: Doc, token: str | None) -> Doc:
        """The subscription as the API shows it; with a new `token`, its webhook URL (shown this once)."""
        view = trigger_view(doc)
        if token is not None:
            view["webhookUrl"] = f"{self.base_url}{HOOK_PATH}{token}"
        return view

    async def live(self, principal: Principal, flow_id: str, trigger_id: str) -> Doc:
        """The flow's live subscription `trigger_id` in the caller's workspace (404 otherwise)."""
        doc = await self.docs.find_one({"_id": trigger_id})
        if (doc is None or doc.get("workspace_id") != principal.workspace_id or doc.get("flow_id") != flow_id
                or doc.get("status") != "active"):
            raise ApiError("NOT_FOUND", "Trigger not found.", {"flowId": flow_id, "subscriptionId": trigger_id})
        return dict(doc)

    async def update(self, principal: Principal, request_id: str, flow_id: str, trigger_id: str,
                     body: tx.TriggerUpdate) -> Doc:
        """The subscription with its config keys changed (null removes one), its connection, a webhook's secret
        rotated or removed, and its token rotated only when asked (the answer then shows the new URL once)."""
        doc = await self.live(principal, flow_id, trigger_id)
        config = {**(doc.get("config") or {}), **body.config}
        config = {k: v for k, v in config.items() if v is not None}
        connection_id = body.connection_id if "connection_id" in body.model_fields_set else doc.get("connection_id")
        changes: Doc = {"config": config, "connection_id": connection_id, "has_secret": bool(doc.get("has_secret")),
                        "token_hash": doc.get("token_hash"), "secret_sealed": doc.get("secret_sealed")}
        token = self._rotate(doc, body, changes, principal.workspace_id)
        await self._check_source(principal, tx.TriggerCreate(
            kind=doc["kind"], provider_type=doc.get("provider_type"), trigger_name=doc.get("trigger_name"),
            connection_id=connection_id, config=changes["config"]))
        updated = await run_command(self.runtime, principal, request_id, tx.UPDATE_TRIGGER, trigger_id,
                                    {"changes": changes}, tx.TRIGGERS)
        return self._answer(updated, token)

    def _rotate(self, doc: Doc, body: tx.TriggerUpdate, changes: Doc, workspace_id: str) -> str | None:
        """A webhook's new secret (sealed; null removes it) and new token into `changes`: the new token or None."""
        if doc["kind"] != "webhook":
            if body.rotate_token or "secret" in body.config:
                raise ApiError("VALIDATION_ERROR", "Only a webhook trigger has a secret and a token.",
                               {"field": "rotateToken" if body.rotate_token else "config.secret"})
            return None
        if "secret" in body.config:
            changes["config"].pop("secret", None)
            secret = body.config["secret"]
            sealed = self._sealed(secret, workspace_id, doc["_id"]) if secret is not None else None
            changes.update(secret_sealed=sealed, has_secret=sealed is not None)
        if not body.rotate_token:
            return None
        token = secrets.token_urlsafe(32)
        changes["token_hash"] = token_hash(token)
        return token

    def _sealed(self, secret: Any, workspace_id: str, trigger_id: str) -> Doc:
        if not isinstance(secret, str) or len(secret) < 16:
            raise ApiError("VALIDATION_ERROR", "A webhook secret is a string of at least 16 characters.",
                           {"field": "config.secret"})
        sealed: Doc = self.vault.seal(secret.encode(), secret_aad(workspace_id, trigger_id)).to_dict()
        return sealed

    async def delete(self, principal: Principal, request_id: str, flow_id: str, trigger_id: str) -> Doc:
        await self.live(principal, flow_id, trigger_id)
        gone = await run_command(self.runtime, principal, request_id, tx.DELETE_TRIGGER, trigger_id, {}, tx.TRIGGERS)
        return trigger_view(gone)

    async def skips(self, principal: Principal, flow_id: str, trigger_id: str, limit: int) -> list[Doc]:
        """The subscription's latest skipped items with their reasons."""
        doc = await self.docs.find_one({"_id": trigger_id})
        if doc is None or doc.get("workspace_id") != principal.workspace_id or doc.get("flow_id") != flow_id:
            raise ApiError("NOT_FOUND", "Trigger not found.", {"flowId": flow_id, "subscriptionId": trigger_id})
        found = self.runtime.db[tx.SKIPS].find({"trigger_id": trigger_id}).sort("skipped_ts", -1).limit(limit)
        return [{"itemId": d.get("item_id"), "reason": d["reason"], "skippedAt": d.get("skipped_at")}
                async for d in found]

    def opened_secret(self, doc: Doc) -> bytes | None:
        sealed = doc.get("secret_sealed")
        if not sealed:
            return None
        return self.vault.open(SealedSecret.from_dict(sealed), secret_aad(doc["workspace_id"], doc["_id"]))

    async def _check_source(self, principal: Principal, body: tx.TriggerCreate) -> Doc:
        """What the kind's source must be: a form of the workspace, a provider's trigger of the same kind (its
        manifest entry is answered; empty when the subscription names none)."""
        if len(json.dumps(body.config, default=str)) > 16_000:
            raise ApiError("VALIDATION_ERROR", "The trigger's config is too large.", {"field": "config"})
        if body.kind == "form":
            form = await self.runtime.db[fx.FORMS].find_one({"_id": str(body.config.get("formId", ""))})
            if form is None or form.get("workspace_id") != principal.workspace_id:
                raise ApiError("NOT_FOUND", "Form not found.", {"formId": body.config.get("formId")})
        actions = self.runtime.component(ProviderActions)
        named = body.connection_id or body.config.get("connectionId")
        if isinstance(named, str) and named and not await actions.has_connection(principal.workspace_id, named):
            raise ApiError("NOT_FOUND", "Connection not found.", {"connectionId": named})
        if body.kind not in ("poll", "webhook") or not (body.provider_type and body.trigger_name):
            return {}
        provider = await actions.provider(principal.workspace_id, body.provider_type)
        found = [t for t in provider.get("triggers") or [] if t.get("name") == body.trigger_name]
        if not found or found[0].get("kind") != body.kind:
            raise ApiError("VALIDATION_ERROR", f"The provider has no {body.kind} trigger of that name.",
                           {"providerType": body.provider_type, "triggerName": body.trigger_name})
        spec: Doc = found[0]
        return spec
