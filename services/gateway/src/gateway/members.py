"""Workspace members and their roles.

Invariants:
- Only OWNER and ADMIN change members; nobody grants a role above their own.
- A workspace always keeps at least one OWNER.
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from junction_common.envelope import utcnow
from junction_common.ids import new_id
from junction_common.timefmt import iso
from junction_common.web.envelope import ApiError

Doc = dict[str, Any]
RANK = {"VIEWER": 0, "MEMBER": 1, "ADMIN": 2, "OWNER": 3}


def check_can_grant(actor_role: str, role: str) -> None:
    if RANK.get(actor_role, -1) < RANK["ADMIN"]:
        raise ApiError("FORBIDDEN", "Only OWNER and ADMIN manage members and keys.")
    if RANK[role] > RANK[actor_role]:
        raise ApiError("FORBIDDEN", f"A {actor_role} cannot grant the {role} role.", {"role": role})


class MemberStore:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.members = db["members"]

    async def ensure_indexes(self) -> None:
        await self.members.create_index([("workspace_id", 1), ("email", 1)], unique=True)

    async def ids(self, workspace_id: str) -> list[str]:
        """The workspace's member ids, in id order."""
        found = self.members.find({"workspace_id": workspace_id}, {"_id": 1}).sort("_id", 1)
        return [str(doc["_id"]) async for doc in found]

    async def list(self, workspace_id: str) -> list[Doc]:
        return await self.members.find({"workspace_id": workspace_id}).sort("_id", 1).to_list()

    async def get(self, workspace_id: str, member_id: str) -> Doc:
        doc = await self.members.find_one({"_id": member_id, "workspace_id": workspace_id})
        if doc is None:
            raise ApiError("NOT_FOUND", "The member could not be found.")
        return doc

    async def add(self, workspace_id: str, email: str, name: str | None, role: str) -> Doc:
        doc = {"_id": new_id("mem"), "workspace_id": workspace_id, "email": email.lower(), "name": name,
               "role": role, "created_at": utcnow(), "updated_at": utcnow()}
        try:
            await self.members.insert_one(doc)
        except DuplicateKeyError as exc:
            raise ApiError("VALIDATION_ERROR", "A member with this email already exists.",
                           [{"pointer": "/email", "message": "already a member"}]) from exc
        return doc

    async def _owners(self, workspace_id: str) -> int:
        return await self.members.count_documents({"workspace_id": workspace_id, "role": "OWNER"})

    async def change_role(self, workspace_id: str, member_id: str, role: str) -> Doc:
        doc = await self.get(workspace_id, member_id)
        if doc["role"] == "OWNER" and role != "OWNER" and await self._owners(workspace_id) <= 1:
            raise ApiError("VALIDATION_ERROR", "A workspace must keep at least one OWNER.")
        await self.members.update_one({"_id": member_id}, {"$set": {"role": role, "updated_at": utcnow()}})
        return {**doc, "role": role}

    async def remove(self, workspace_id: str, member_id: str) -> Doc:
        doc = await self.get(workspace_id, member_id)
        if doc["role"] == "OWNER" and await self._owners(workspace_id) <= 1:
            raise ApiError("VALIDATION_ERROR", "A workspace must keep at least one OWNER.")
        await self.members.delete_one({"_id": member_id})
        return doc


def present_member(doc: Doc) -> Doc:
    return {"id": doc["_id"], "email": doc["email"], "name": doc.get("name"), "role": doc["role"],
            "created_at": iso(doc["created_at"]), "updated_at": iso(doc["updated_at"])}
