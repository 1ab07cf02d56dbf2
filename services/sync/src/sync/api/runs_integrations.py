"""integrations-api.txt's `POST /v1/integrations/{integrationId}/sync`: a run of the integration's connection (the
integration id is its connection's id), answered in the /v1 envelope, 202 while it runs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from junction_common.service import ServiceRuntime
from junction_common.web.envelope import ApiError, json_response, ok_body, request_id_of
from sync.api.pipelines_runs import Caller, actor_of
from sync.app.runs import Runs
from sync.app.runs_views import run_view
from sync_contracts.declarations import INTEGRATIONS_BASE


def router(runtime: ServiceRuntime) -> APIRouter:
    api = APIRouter(prefix="/internal" + INTEGRATIONS_BASE)
    runs = Runs(runtime)

    @api.post("/{integrationId}/sync")
    async def trigger_integration_sync(integrationId: Annotated[str, Path(max_length=64)],
                                       request: Request, principal: Caller) -> Response:
        """A run of the integration's connection; refused while one is PENDING or RUNNING."""
        rid = request_id_of(request)
        triggered = await runs.trigger(principal.workspace_id, integrationId, "INTEGRATION", actor_of(principal),
                                       request_id=rid)
        if triggered.run is None:
            raise ApiError("VALIDATION_ERROR", "A sync is already in progress for this integration.",
                           {"runId": triggered.running_id}, status=409)
        return json_response(ok_body(run_view(triggered.run), rid), 202)

    return api
