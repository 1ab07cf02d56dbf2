"""Listing read models: workspace scoping, free-text search, enum/id filters and cursor pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pymongo.asynchronous.collection import AsyncCollection

from junction_common.identity import Principal
from junction_common.web.cursors import decode_cursor, encode_cursor
from junction_common.web.envelope import json_response, ok_body, request_id_of

Doc = dict[str, Any]
HIDDEN = ("_id", "_version", "workspace_id", "search_text")


def present(doc: Doc) -> Doc:
    return {k: v for k, v in doc.items() if k not in HIDDEN}


def text_filter(query: str | None, fields: tuple[str, ...]) -> Doc:
    """Case-insensitive word-prefix match of every term across `fields`."""
    clauses = []
    for term in (query or "").split()[:8]:
        pattern = r"(^|[^0-9a-z])" + re.escape(term.lower())
        clauses.append({"$or": [{f: {"$regex": pattern, "$options": "i"}} for f in fields]})
    return {"$and": clauses} if clauses else {}


async def list_page(
    request: Request, coll: AsyncCollection[Doc], principal: Principal, secret: str, filt: Doc, limit: int,
    cursor: str | None, shape: Callable[[Doc], Doc] = present,
) -> Response:
    """Newest first; the signed cursor holds the last id seen, so inserts never shift a page."""
    filt = {**filt, "workspace_id": principal.workspace_id}
    if cursor:
        position = decode_cursor(cursor, secret)
        after = str(position.get("after", "")) if position.get("ws") == principal.workspace_id else ""
        filt["_id"] = {"$lt": after}
    docs = await coll.find(filt).sort("_id", -1).limit(limit + 1).to_list()
    page, more = docs[:limit], len(docs) > limit
    next_cursor = encode_cursor({"after": page[-1]["_id"], "ws": principal.workspace_id}, secret) if more else None
    return json_response(ok_body([shape(d) for d in page], request_id_of(request), next_cursor=next_cursor))
