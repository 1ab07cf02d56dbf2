"""One connection, shown as each reference shows it; no view ever holds the sealed credentials."""

from __future__ import annotations

from typing import Any

Doc = dict[str, Any]


def pipelines_view(doc: Doc) -> Doc:
    """pipelines-api.txt's connection (camelCase, as its documented answers are)."""
    return {
        "id": doc["_id"], "name": doc.get("name"), "type": doc.get("connector_type"), "provider": doc.get("provider"),
        "status": doc.get("status"), "lastError": doc.get("last_error"), "lastCheckedAt": doc.get("last_checked_at"),
        "connectedAt": doc.get("connected_at"), "config": _config(doc), "schedule": doc.get("schedule"),
        "notifyUserIds": doc.get("notify_user_ids") or [], "variantGroupId": doc.get("variant_group_id"),
        "variantLabel": doc.get("variant_label"),
        "credentialFields": doc.get("credential_fields") or [], "credentialPreview": doc.get("credential_preview"),
        "createdAt": doc.get("created_at"), "updatedAt": doc.get("updated_at"),
    }


def _config(doc: Doc) -> Doc:
    """Its config; a variant's always names its group and says whether it has tables of its own (documented
    defaults), even after a PUT replaced the config."""
    config = dict(doc.get("config") or {})
    if doc.get("variant_group_id"):
        config["variantGroupId"] = doc["variant_group_id"]
        config["createOwnTables"] = bool(config.get("createOwnTables", False))
    return config


def status_view(provider: str, doc: Doc | None) -> Doc:
    """connect-api.txt's status of a provider for the workspace: its latest live connection, or none."""
    if doc is None:
        return {"type": provider, "connectionId": None, "status": "DISCONNECTED", "connected": False,
                "lastError": None, "lastCheckedAt": None, "connectedAt": None, "credentialPreview": None}
    return {"type": provider, "connectionId": doc["_id"], "status": doc.get("status"),
            "connected": doc.get("status") == "CONNECTED", "lastError": doc.get("last_error"),
            "lastCheckedAt": doc.get("last_checked_at"), "connectedAt": doc.get("connected_at"),
            "credentialPreview": doc.get("credential_preview")}


def credential_view(doc: Doc) -> Doc:
    """workflow-api.txt's credential (snake_case, as its documented answers are): never its value."""
    return {"id": doc["_id"], "name": doc.get("name"), "type": doc.get("credential_type") or doc.get("auth_type"),
            "provider": doc.get("provider"), "status": doc.get("status"), "preview": doc.get("credential_preview"),
            "last_error": doc.get("last_error"), "last_checked_at": doc.get("last_checked_at"),
            "created_at": doc.get("created_at"), "updated_at": doc.get("updated_at")}
