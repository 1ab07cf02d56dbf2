"""integrations-api.txt's `POST /v1/integrations/{integrationId}/sync`: a run of a tenant integration (`int_...`, its
facts folded from the connections service's tenant integration topic, run like a connection: same runs, lock,
cursors and tables named from it), answered in the /v1 envelope, 202 while it runs. A connection id is accepted
too (a connection made for an integration); another workspace's id is not found."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from junction_common.service import ServiceRuntime
from junction_common.web.envelope import ApiError, json_response, ok_body, request_id_of
from sync.api.pipelines_runs import Caller, actor_of
from sync.app.runs import Runs
from sync.app.runs_views import run_view
from sync.projections.runs_facts import INTEGRATION
from sync_contracts.declarations import INTEGRATIONS_BASE


def router(runtime: ServiceRuntime) -> APIRouter:
    api = APIRouter(prefix="/internal" + INTEGRATIONS_BASE)
    runs = Runs(runtime)

    @api.post("/{integrationId}/sync")
    async def trigger_integration_sync(integrationId: Annotated[str, Path(max_length=64)],
                                       request: Request, principal: Caller) -> Response:
        """A run of the integration; refused while one is PENDING or RUNNING, or while it is disabled."""
        rid = request_id_of(request)
        await _integration(runs, principal.workspace_id, integrationId)
        triggered = await runs.trigger(principal.workspace_id, integrationId, "INTEGRATION", actor_of(principal),
                                       request_id=rid)
        if triggered.run is None:
            raise ApiError("VALIDATION_ERROR", "A sync is already in progress for this integration.",
                           {"runId": triggered.running_id}, status=409)
        return json_response(ok_body(run_view(triggered.run), rid), 202)

    return api


async def _integration(runs: Runs, workspace_id: str, integration_id: str) -> None:
    """The integration exists in the caller's workspace and is enabled (its facts, as a connection's)."""
    try:
        facts = await runs.connection(workspace_id, integration_id)
    except ApiError as missing:
        raise ApiError("NOT_FOUND", "The integration could not be found.", {"id": integration_id}) from missing
    if facts.get("kind") == INTEGRATION and not facts.get("enabled", True):
        raise ApiError("VALIDATION_ERROR", "The integration is disabled.", {"id": integration_id})
