"""Cloning a template: a draft workflow of the caller's workspace with the template's nodes, edges and variables
(through the workflow create path, so the plan's limit on flows holds), its trigger node given the trigger
connection. The flow starts nothing until it gets a trigger subscription: the answer carries the body to create
it with (`triggerSubscription`, for POST /connect/v1/flows/:flowId/triggers)."""

from __future__ import annotations

import copy
from typing import Any

from flows.api.workflows import create_workflow, workflow_view
from flows.templates.catalogue import Template
from flows_contracts.templates import TemplateClone
from flows_contracts.workflows import WorkflowCreate
from junction_common.identity import Principal
from junction_common.service import ServiceRuntime

Doc = dict[str, Any]


def definition(template: Template, body: TemplateClone) -> WorkflowCreate:
    """The new workflow: the template's graph, its name (or the given one), the trigger's connection set."""
    nodes = copy.deepcopy(template.workflow.nodes)
    if body.trigger_connection_id:
        for node in nodes:
            if node.get("type") == "trigger":
                node["config"] = {**node.get("config", {}), "connectionId": body.trigger_connection_id}
    return WorkflowCreate.model_validate({
        "name": body.name or template.name, "description": template.description, "nodes": nodes,
        "edges": copy.deepcopy(template.workflow.edges), "variables": copy.deepcopy(template.workflow.variables),
        "status": "draft"})


def subscription(template: Template, body: TemplateClone) -> Doc:
    """The createFlowTrigger body that starts the cloned flow as the template means."""
    trigger = template.trigger
    return {"kind": trigger.kind, "providerType": trigger.providerType, "triggerName": trigger.triggerName,
            "connectionId": body.trigger_connection_id, "config": copy.deepcopy(trigger.config)}


async def clone(runtime: ServiceRuntime, principal: Principal, request_id: str, template: Template,
                body: TemplateClone) -> Doc:
    """The cloned draft workflow (as getWorkflow shows it), with its template and trigger subscription body."""
    created = await create_workflow(runtime, principal, request_id,
                                    definition(template, body).model_dump(mode="json", exclude_none=True))
    return {**workflow_view(created), "template": template.slug,
            "triggerSubscription": subscription(template, body)}
