"""Forwarding targets: one per provider webhook subscription (`pws_...`), where its deliveries go and the sealed
secret they are signed with, kept in this service's own database from the connections service's events.

A target has the shape of an endpoint as the delivery engine's directory reads it (`workspace_id`, `url`,
`status`, `deleted`, `secret_sealed` under junction_common.webhook_signing.secret_aad), so the engine's lanes,
signing, retries, address policy and delivery log serve it unchanged.
"""

from __future__ import annotations

from typing import Any

Doc = dict[str, Any]
FORWARD_TARGETS = "provider_forward_targets"
FORWARD_PREFIX = "pws_"  # the connections service's subscription ids


def is_forward_target(target_id: str) -> bool:
    return target_id.startswith(FORWARD_PREFIX)


def target_of(subscription_id: str, workspace_id: str, url: str, secret_sealed: Doc) -> Doc:
    """The target a delivery event names: active, its url and sealed secret as the event carries them."""
    return {"_id": subscription_id, "workspace_id": workspace_id, "url": url, "secret_sealed": secret_sealed,
            "status": "active", "deleted": False}
