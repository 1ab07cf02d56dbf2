"""Workspaces and API keys: keys are shown once and stored only as a keyed hash.

Roles map to scope sets; a key carries its role's scopes or a subset. `*` grants every scope.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from junction_common.envelope import utcnow
from junction_common.ids import new_id
from junction_common.timefmt import as_datetime

Doc = dict[str, Any]

KEY_PREFIX = "jk_live_"
ROLES = ("OWNER", "ADMIN", "MEMBER", "VIEWER")
PLANS = ("free", "starter", "pro", "business")
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "OWNER": frozenset({"*"}),
    "ADMIN": frozenset({"*"}),
    "MEMBER": frozenset({"*:read", "*:write"}),
    "VIEWER": frozenset({"*:read"}),
}


@dataclass(frozen=True)
class Principal:
    """Who is calling: the workspace, the key, its role and scopes."""

    workspace_id: str
    key_id: str
    role: str
    scopes: frozenset[str]
    plan: str = "free"

    def has_scope(self, scope: str) -> bool:
        """`crm:read` style scopes and Connect permission keys (`flows.view` = read, `flows.<verb>` = write)."""
        family, action = split_scope(scope)
        wanted = {scope, "*", f"*:{action}", f"{family}:*", f"{family}:{action}"}
        return bool(self.scopes & wanted)


def split_scope(scope: str) -> tuple[str, str]:
    """`crm:read` -> (crm, read); `flows.view` -> (flows, read); `records.write` -> (records, write)."""
    if ":" in scope:
        family, _, action = scope.partition(":")
        return family, action
    family, _, verb = scope.rpartition(".")
    if not family:
        return scope, ""
    return family, "read" if verb in ("view", "read", "list") else "write"


def grantable_scopes(required: Iterable[str]) -> frozenset[str]:
    """The scopes a key may carry, given every scope an operation requires: each of them, its `family:action`
    form (`flows.view` -> `flows:read`), and the wildcards `has_scope` honours (`family:*`, `*:action`, `*`)."""
    known = {"*", *(s for scopes in ROLE_SCOPES.values() for s in scopes)}
    for scope in required:
        family, action = split_scope(scope)
        known |= {scope, f"{family}:{action}", f"{family}:*", f"*:{action}"}
    return frozenset(known)


def hash_key(api_key: str, pepper: str) -> str:
    return hmac.new(pepper.encode(), api_key.encode(), hashlib.sha256).hexdigest()


class IdentityStore:
    """Workspaces and their API keys in the identity database."""

    def __init__(self, db: AsyncDatabase[Doc], pepper: str) -> None:
        self.workspaces = db["workspaces"]
        self.keys = db["api_keys"]
        self._pepper = pepper

    async def ensure_indexes(self) -> None:
        await self.keys.create_index("key_hash", unique=True)

    async def create_workspace(self, name: str, plan: str) -> tuple[Doc, str]:
        """Create a workspace's identity with an owner key; returns the workspace and the key (shown once).
        A new workspace is made with junction_common.workspaces.create_workspace, which also has it set up."""
        if plan not in PLANS:
            raise ValueError(f"plan must be one of {', '.join(PLANS)}")
        now = utcnow()
        workspace: Doc = {"_id": new_id("wrk"), "name": name, "plan": plan, "created_at": now}
        await self.workspaces.insert_one(workspace)
        api_key = await self.create_key(workspace["_id"], "owner", "OWNER", None, now)
        return workspace, api_key

    async def create_key(
        self, workspace_id: str, name: str, role: str, scopes: list[str] | None, now: datetime,
        expires_at: datetime | None = None, created_by: str | None = None,
    ) -> str:
        """Create a key; the plaintext is returned here once and only its keyed hash is stored."""
        api_key, _ = await self.issue_key(workspace_id, name, role, scopes, now, expires_at, created_by)
        return api_key

    async def issue_key(
        self, workspace_id: str, name: str, role: str, scopes: list[str] | None, now: datetime,
        expires_at: datetime | None = None, created_by: str | None = None,
    ) -> tuple[str, Doc]:
        api_key = KEY_PREFIX + secrets.token_urlsafe(32)
        doc: Doc = {
            "_id": new_id("key"),
            "workspace_id": workspace_id,
            "name": name,
            "role": role,
            "scopes": sorted(scopes) if scopes is not None else None,
            "key_hash": hash_key(api_key, self._pepper),
            "prefix": api_key[:12],
            "created_at": now,
            "created_by": created_by,
            "revoked_at": None,
            "expires_at": expires_at,
            "last_used_at": None,
        }
        await self.keys.insert_one(doc)
        return api_key, doc

    async def list_keys(self, workspace_id: str) -> list[Doc]:
        return await self.keys.find({"workspace_id": workspace_id}, {"key_hash": 0}).sort("_id", 1).to_list()

    async def revoke_key(self, workspace_id: str, key_id: str, now: datetime) -> Doc | None:
        """Revoke a key of this workspace; None when no such key is in the workspace."""
        doc = await self.keys.find_one({"_id": key_id, "workspace_id": workspace_id})
        if doc is None:
            return None
        if doc.get("revoked_at") is None:
            await self.keys.update_one({"_id": key_id}, {"$set": {"revoked_at": now}})
            doc["revoked_at"] = now
        return doc

    async def authenticate(self, api_key: str, now: datetime) -> Principal | None:
        """The principal of a live key, or None (unknown, revoked or expired)."""
        if not api_key.startswith(KEY_PREFIX):
            return None
        doc = await self.keys.find_one({"key_hash": hash_key(api_key, self._pepper)})
        if doc is None or doc.get("revoked_at") is not None:
            return None
        expires = as_datetime(doc.get("expires_at"))
        if expires is not None and expires <= now:
            return None
        role_scopes = ROLE_SCOPES[doc["role"]]
        scopes = frozenset(doc["scopes"]) if doc.get("scopes") is not None else role_scopes
        workspace = await self.workspaces.find_one({"_id": doc["workspace_id"]}, {"plan": 1})
        if workspace is None:
            return None
        await self.keys.update_one({"_id": doc["_id"]}, {"$set": {"last_used_at": now}})
        return Principal(doc["workspace_id"], doc["_id"], doc["role"], scopes, workspace.get("plan", "free"))

    async def get_workspace(self, workspace_id: str) -> Doc | None:
        return await self.workspaces.find_one({"_id": workspace_id})
