"""Contacts (workspace-api.txt): listContacts, createContact."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from gateway.auth import require_scope
from gateway.context import request_id_of
from gateway.deps import ResourcesDep
from gateway.error_docs import ERROR_RESPONSES
from gateway.pagination import decode_cursor, encode_cursor
from gateway.responses import json_response, ok_body
from gateway.writes import WriteSpec, execute_write
from junction_common.identity import Principal
from junction_common.ids import new_id

router = APIRouter(prefix="/v1", tags=["Contacts"], responses=ERROR_RESPONSES)

_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_SEARCH_FIELDS = ("name", "email", "company_name", "notes")
_HIDDEN = ("_id", "_version", "workspace_id")


class ContactCreate(BaseModel):
    """Body of createContact."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"name": "Jane Doe", "email": "jane@acme.com", "company_name": "Acme Corp"}]})

    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=320, pattern=_EMAIL)
    company_name: str | None = Field(default=None, max_length=200)
    company_id: str | None = Field(default=None, max_length=64, pattern=r"^com_[A-Za-z0-9]+$")
    phone: str | None = Field(default=None, max_length=50)
    notes: str | None = Field(default=None, max_length=10000)
    custom_fields: dict[str, str | int | float | bool | None] | None = None


def present(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in _HIDDEN}


CREATE = WriteSpec("crm", "crm.commands", "CreateContact", "contacts", "contact", present)


ACCEPTED: dict[int | str, dict[str, Any]] = {
    202: {"description": "Accepted: the CRM is slow or down; poll GET /v1/operations/{operation_id}."}}


@router.post("/contacts", operation_id="createContact", status_code=201, responses=ACCEPTED)
async def create_contact(
    body: ContactCreate, request: Request, res: ResourcesDep,
    principal: Annotated[Principal, Depends(require_scope("crm:write"))],
) -> Response:
    """Create a contact; answers 201 once it is readable (202 with an operation id if the CRM is slow)."""
    return await execute_write(request, res, principal, CREATE, new_id("con"), body.model_dump(exclude_none=True))


def _text_filter(query: str) -> dict[str, Any]:
    """Case-insensitive word-prefix match of every term across the searchable fields."""
    clauses = []
    for term in query.split()[:8]:
        pattern = r"(^|[^0-9a-z])" + re.escape(term.lower())
        clauses.append({"$or": [{f: {"$regex": pattern, "$options": "i"}} for f in _SEARCH_FIELDS]})
    return {"$and": clauses} if clauses else {}


@router.get("/contacts", operation_id="listContacts")
async def list_contacts(
    res: ResourcesDep, request: Request,
    principal: Annotated[Principal, Depends(require_scope("crm:read"))],
    query: Annotated[str | None, Query(max_length=200)] = None,
    company_id: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_]+$")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    """Search contacts, newest first; `next_cursor` pages on without skipping or repeating."""
    filt: dict[str, Any] = {"workspace_id": principal.workspace_id}
    if company_id:
        filt["company_id"] = company_id
    if query and query.strip():
        filt.update(_text_filter(query))
    if cursor:
        position = decode_cursor(cursor, res.settings.signing_secret)
        if position.get("ws") != principal.workspace_id:
            position = {"after": ""}
        filt["_id"] = {"$lt": str(position.get("after", ""))}
    coll = res.service_db("crm")["contacts"]
    docs = await coll.find(filt).sort("_id", -1).limit(limit + 1).to_list()
    page, more = docs[:limit], len(docs) > limit
    next_cursor = encode_cursor({"after": page[-1]["_id"], "ws": principal.workspace_id},
                                res.settings.signing_secret) if more else None
    return json_response(ok_body([present(d) for d in page], request_id_of(request), next_cursor=next_cursor))
