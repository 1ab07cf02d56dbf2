"""The tables API's operations on a workspace's tables: each change a command through the executor, answered once
the read model shows it; plan limits checked before anything is written."""

from __future__ import annotations

from typing import Any

from junction_common.envelope import Actor
from junction_common.identity import Principal
from junction_common.service import ServiceRuntime
from junction_common.web.envelope import ApiError
from sync.domain import table as domain
from sync.domain.table_types import is_column
from sync.tables import limits
from sync.tables.ingest import Ingest
from sync.tables.plans import PlanBook
from sync.tables.service import Cause
from sync.tables.targets import slugify, table_id_of
from sync_contracts import tables as tx

Doc = dict[str, Any]


def cause_of(principal: Principal, request_id: str) -> Cause:
    return Cause(principal.workspace_id, Actor(kind="api_key", id=principal.key_id), correlation_id=request_id,
                 request_id=request_id or None)


def table_view(doc: Doc, row_count: int | None = None, history: bool = True) -> Doc:
    """A table as the API returns it (getTable adds its schema change history)."""
    view = {"id": doc["id"], "slug": doc["slug"], "name": doc["name"], "description": doc.get("description"),
            "columns": doc.get("columns", []), "primary_key": doc.get("primary_key"),
            "schema_policy": doc.get("schema_policy", "propagate"), "origin": doc.get("origin", "api"),
            "source": {"connection_id": doc.get("connection_id"), "provider": doc.get("provider"),
                       "stream": doc.get("stream")} if doc.get("connection_id") else None,
            "paused": doc.get("pending_schema_change") is not None,
            "status": "paused" if doc.get("pending_schema_change") is not None else "active",
            "pending_schema_change": doc.get("pending_schema_change"),
            "created_at": doc.get("created_at"), "updated_at": doc.get("updated_at")}
    if row_count is not None:
        view["row_count"] = row_count
    if history:
        view["schema_changes"] = doc.get("schema_changes", [])
    return view


class Tables:
    def __init__(self, runtime: ServiceRuntime) -> None:
        self.ingest = Ingest(runtime)
        self.service = self.ingest.tables
        self.rows = self.ingest.rows
        self.plans = PlanBook(runtime.db)

    async def find(self, workspace_id: str, slug: str) -> Doc:
        """The workspace's live table `slug`, else NOT_FOUND."""
        doc = await self.service.doc(table_id_of(workspace_id, slug))
        if doc is None or doc.get("deleted") or doc.get("workspace_id") != workspace_id:
            raise ApiError("NOT_FOUND", "The table could not be found.", {"slug": slug})
        return doc

    async def state(self, workspace_id: str, slug: str) -> domain.Table:
        """The table as its stream has it (the writer's and the row operations' view), else NOT_FOUND."""
        state = await self.service.state(table_id_of(workspace_id, slug))
        if state is None or state.deleted:
            raise ApiError("NOT_FOUND", "The table could not be found.", {"slug": slug})
        return state

    async def create(self, principal: Principal, request_id: str, body: tx.TableCreate) -> Doc:
        plan = await self.plans.remember(principal)
        slug = body.slug or slugify(body.name)
        if plan is not None:
            limits.check_tables(plan, len(await self.service.of_workspace(principal.workspace_id)))
        bad = [k for k in body.primary_key or [] if not is_column(k)]
        if bad:
            raise ApiError("VALIDATION_ERROR", "A primary key names columns.", {"primary_key": bad})
        names = [c.name for c in body.columns]
        missing = [k for k in body.primary_key or [] if k not in names] if body.columns else []
        if missing:
            raise ApiError("VALIDATION_ERROR", "The primary key names columns the table does not have.",
                           {"primary_key": missing})
        record = tx.TableRecord(slug=slug, name=body.name, description=body.description, columns=body.columns,
                                primary_key=body.primary_key or None,
                                schema_policy=body.schema_policy or "propagate", origin="api")
        table_id = table_id_of(principal.workspace_id, slug)
        _, version = await self.service.run(cause_of(principal, request_id), tx.CREATE, table_id,
                                            {"record": record.model_dump(mode="json")})
        return await self._readable(table_id, version)

    async def update(self, principal: Principal, request_id: str, slug: str, body: tx.TableUpdate) -> Doc:
        await self.plans.remember(principal)
        doc = await self.find(principal.workspace_id, slug)
        before = await self.state(principal.workspace_id, slug)
        settings = body.model_dump(include={"name", "description", "schema_policy"}, exclude_none=True)
        columns = [c.model_dump() for c in body.columns or []]
        state, version = await self.service.run(cause_of(principal, request_id), tx.UPDATE, doc["id"],
                                                {"settings": settings, "columns": columns})
        widened = state is not None and any(before.types().get(n) not in (None, t) for n, t in state.types().items())
        if widened and state is not None:
            await self.ingest.reproject(state)  # the rows' values in the wider types
        return await self._readable(doc["id"], version)

    async def delete(self, principal: Principal, request_id: str, slug: str) -> Doc:
        doc = await self.find(principal.workspace_id, slug)
        _, version = await self.service.run(cause_of(principal, request_id), tx.DELETE, doc["id"], {})
        await self.ingest.records.keep_of_rows({"table_id": doc["id"]})  # deleting a table leaves its records
        await self.rows.delete_table(doc["id"])
        return await self._readable(doc["id"], version)

    async def approve(self, principal: Principal, request_id: str, slug: str) -> Doc:
        """The held schema change applied, the rows re-projected from their raw records (those that arrived
        while it was held included)."""
        doc = await self.find(principal.workspace_id, slug)
        before = await self.state(principal.workspace_id, slug)
        held_since = (before.held or {}).get("since")
        state, version = await self.service.run(cause_of(principal, request_id), tx.APPROVE, doc["id"], {})
        if state is not None:
            await self.ingest.reproject(state, since=held_since or "")
        return await self._readable(doc["id"], version)

    async def _readable(self, table_id: str, version: int) -> Doc:
        doc = await self.service.readable(table_id, version)
        if doc is None:
            raise ApiError("INTERNAL_ERROR", "The table is not readable yet.", {"id": table_id})
        return doc
