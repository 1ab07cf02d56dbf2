"""workflow-api.txt, Workflows: list, get, create, update, delete, in the `/v1` envelope. One resource with
connect-api's flows. Each write is decided and appended synchronously through this service's executor, then
answered once readable; a graph that breaks a rule is a 422 VALIDATION_ERROR whose `details.errors` name the
node (`{node, path, message}`). The plan limits how many workflows a workspace holds."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from flows.forms.commands import run_command
from flows_contracts import workflows as wx
from flows_contracts.declarations import WORKFLOW_BASE
from junction_common.identity import Principal
from junction_common.ids import new_id
from junction_common.internal_api import caller
from junction_common.service import ServiceRuntime
from junction_common.web.envelope import ApiError, json_response, ok_body, request_id_of

Caller = Annotated[Principal, Depends(caller)]
WorkflowId = Annotated[str, Path(max_length=64)]
Doc = dict[str, Any]
VIEW = ("name", "description", "status", "version", "published_version", "nodes", "edges", "variables",
        "created_at", "updated_at")
SUMMARY = ("name", "description", "status", "version", "published_version", "created_at", "updated_at")


def workflow_view(doc: Doc, fields: tuple[str, ...] = VIEW) -> Doc:
    return {"id": doc["_id"], **{k: doc.get(k) for k in fields}}


async def find_workflow(runtime: ServiceRuntime, principal: Principal, workflow_id: str) -> Doc:
    doc = await runtime.db[wx.COLLECTION].find_one({"_id": workflow_id})
    if doc is None or doc.get("workspace_id") != principal.workspace_id or doc.get("deleted"):
        raise ApiError("NOT_FOUND", "The workflow could not be found.", {"id": workflow_id})
    return dict(doc)


async def check_flow_limit(runtime: ServiceRuntime, principal: Principal) -> None:
    """One more workflow fits the workspace's plan, else FORBIDDEN with the limit named."""
    most = wx.flow_limit(principal.plan)
    if most is None:
        return
    held = await runtime.db[wx.COLLECTION].count_documents({"workspace_id": principal.workspace_id,
                                                           "deleted": False})
    if held >= most:
        raise ApiError("FORBIDDEN", f"The {principal.plan} plan allows {most} workflows per workspace.",
                       {"limit": most, "plan": principal.plan})


async def create_workflow(runtime: ServiceRuntime, principal: Principal, request_id: str, body: Doc) -> Doc:
    """A new workflow (draft, or published when asked and complete), within the plan's limit."""
    await check_flow_limit(runtime, principal)
    return await run_command(runtime, principal, request_id, wx.CREATE, new_id(wx.PREFIX), body, wx.COLLECTION)


def router(runtime: ServiceRuntime) -> APIRouter:
    api = APIRouter(prefix="/internal" + WORKFLOW_BASE + "/workflows")
    workflows = runtime.db[wx.COLLECTION]

    @api.get("")
    async def list_workflows(request: Request, principal: Caller,
                             query: Annotated[wx.WorkflowListQuery, Query()]) -> Response:
        """The workspace's workflows, newest first; filtered by status, searched by name."""
        filt: Doc = {"workspace_id": principal.workspace_id, "deleted": False}
        if query.status:
            filt["status"] = query.status
        if query.search:
            filt["search_text"] = {"$regex": re.escape(query.search.lower())}
        total = await workflows.count_documents(filt)
        docs = await workflows.find(filt, {"nodes": 0, "edges": 0, "published": 0}).sort("_id", -1) \
            .skip((query.page - 1) * query.limit).limit(query.limit).to_list()
        meta = {"page": query.page, "limit": query.limit, "total": total}
        return json_response(ok_body([workflow_view(d, SUMMARY) for d in docs], request_id_of(request), meta))

    @api.get("/{id}")
    async def get_workflow(id: WorkflowId, request: Request, principal: Caller) -> Response:
        """A workflow with its nodes, edges and variables."""
        doc = await find_workflow(runtime, principal, id)
        return json_response(ok_body(workflow_view(doc), request_id_of(request)))

    @api.post("")
    async def create(body: wx.WorkflowCreate, request: Request, principal: Caller) -> Response:
        """Create a workflow; its graph is checked (one trigger, no cycles but loops, configs, templates)."""
        doc = await create_workflow(runtime, principal, request_id_of(request), body.model_dump(mode="json"))
        return json_response(ok_body(workflow_view(doc), request_id_of(request)), 201)

    @api.patch("/{id}")
    async def update(id: WorkflowId, body: wx.WorkflowUpdate, request: Request, principal: Caller) -> Response:
        """Change a workflow; a graph change on a published one opens a new draft; `published` freezes it."""
        await find_workflow(runtime, principal, id)
        data = body.model_dump(mode="json", exclude_unset=True)
        doc = await run_command(runtime, principal, request_id_of(request), wx.UPDATE, id, data, wx.COLLECTION)
        return json_response(ok_body(workflow_view(doc), request_id_of(request)))

    @api.delete("/{id}")
    async def delete(id: WorkflowId, request: Request, principal: Caller) -> Response:
        """Delete a workflow: it runs no more; its executions stay readable."""
        await find_workflow(runtime, principal, id)
        await run_command(runtime, principal, request_id_of(request), wx.DELETE, id, {}, wx.COLLECTION)
        return json_response(ok_body({"id": id, "deleted": True}, request_id_of(request)))

    return api
