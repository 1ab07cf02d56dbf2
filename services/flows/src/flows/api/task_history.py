"""connect-api.txt, Cross-flow task history: every execution of the workspace across flows, newest first, in
pages, filtered by status, flow and start time; each with its flow, status, times and its steps' count."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from flows.api.executions_views import camel, execution_filter, execution_view
from flows.projections.executions import unpacked
from flows_contracts import executions as ex
from flows_contracts.declarations import CONNECT_BASE
from junction_common.identity import Principal
from junction_common.internal_api import caller
from junction_common.service import ServiceRuntime
from junction_common.web.envelope import json_response, ok_body, request_id_of

Caller = Annotated[Principal, Depends(caller)]
Doc = dict[str, Any]


def task_view(stored: Doc) -> Doc:
    doc = unpacked(stored)  # once: execution_view finds it unpacked
    steps = doc.get("steps") or []
    view = camel(execution_view(doc))
    view["stepsCount"] = len(steps)
    view["failedSteps"] = [s["step"] for s in steps if s.get("status") == "failed"]
    return view


def router(runtime: ServiceRuntime) -> APIRouter:
    api = APIRouter(prefix="/internal" + CONNECT_BASE)
    executions = runtime.db[ex.COLLECTION]

    @api.get("/task-history")
    async def list_task_history(request: Request, principal: Caller,
                                query: Annotated[ex.TaskHistoryQuery, Query()]) -> Response:
        """Executions across flows: `page`, `limit`, `status`, `flowId`, `from`, `to`."""
        filt = execution_filter(principal.workspace_id, query.status, query.from_, query.to, query.flowId)
        total = await executions.count_documents(filt)
        docs = await executions.find(filt, {"logs": 0, "trigger": 0}).sort("_id", -1) \
            .skip((query.page - 1) * query.limit).limit(query.limit).to_list()
        meta = {"page": query.page, "limit": query.limit, "total": total,
                "hasMore": query.page * query.limit < total}
        return json_response(ok_body([task_view(d) for d in docs], request_id_of(request), meta))

    return api
