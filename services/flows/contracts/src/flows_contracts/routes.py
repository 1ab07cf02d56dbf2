"""Catalogued operations the flows service serves: the gateway forwards them with the catalogue's scope checks,
validating the body and query models named here first (see junction_common.contracts.operations).

Found by the gateway through the `junction.operations` entry points (this package's pyproject). An operation not
listed here answers 501 at the gateway.
"""

from __future__ import annotations

from flows_contracts import executions as ex
from flows_contracts import workflows as wx
from flows_contracts.actions import ActionInputs
from flows_contracts.declarations import SERVICE
from flows_contracts.forms import FormCreate, FormListQuery, FormSubmit
from flows_contracts.templates import TemplateClone, TemplateListQuery
from flows_contracts.triggers import SkipsQuery, TriggerCreate, TriggerUpdate
from junction_common.contracts.operations import Route, Served

SERVED: list[Served] = []
# Provider actions and forms (synchronous operations of the internal API).
SERVED += [
    Served("listProviderActions", SERVICE),
    Served("executeProviderAction", SERVICE, body=ActionInputs),
    Served("listForms", SERVICE, query=FormListQuery),
    Served("getForm", SERVICE),
    Served("createForm", SERVICE, body=FormCreate),
    Served("submitForm", SERVICE, body=FormSubmit),
    Served("listFormSubmissions", SERVICE, query=FormListQuery),
]
# Flow triggers: the subscriptions API, and the webhook trigger's own URL (its token is the credential).
SERVED += [
    Served("listFlowTriggers", SERVICE),
    Served("createFlowTrigger", SERVICE, body=TriggerCreate),
    Served("deleteFlowTrigger", SERVICE),
    Served("updateFlowTrigger", SERVICE, body=TriggerUpdate, route=Route(
        "PATCH", "/connect/v1/flows/{flowId}/triggers/{subscriptionId}",
        "Change a trigger subscription's configuration (its webhook URL stays unless rotated)", "Flow triggers",
        ("triggers.write",))),
    Served("listFlowTriggerSkips", SERVICE, query=SkipsQuery, route=Route(
        "GET", "/connect/v1/flows/{flowId}/triggers/{subscriptionId}/skips",
        "What a poll trigger did not fire, and why", "Flow triggers", ("triggers.view",))),
    Served("triggerFlowWebhook", SERVICE, route=Route(
        "POST", "/connect/v1/flow-hooks/{token}", "Start a flow from its webhook trigger", "Flow triggers", (),
        auth="webhook_token")),
]
# Workflows (flows) and their executions (FL-CORE): synchronous operations of the internal API.
SERVED += [
    Served("listWorkflows", SERVICE, query=wx.WorkflowListQuery),
    Served("getWorkflow", SERVICE),
    Served("createWorkflow", SERVICE, body=wx.WorkflowCreate),
    Served("updateWorkflow", SERVICE, body=wx.WorkflowUpdate),
    Served("deleteWorkflow", SERVICE),
    Served("executeWorkflow", SERVICE, body=ex.ExecuteBody),
    Served("getExecution", SERVICE),
    Served("listWorkflowExecutions", SERVICE, query=ex.ExecutionListQuery),
    Served("listExecutions", SERVICE, query=ex.ExecutionListQuery),
    Served("listFlowExecutions", SERVICE, query=ex.TaskHistoryQuery),
    Served("listFlowExecutionSteps", SERVICE),
    Served("replayFlowExecution", SERVICE),
    Served("testFlow", SERVICE),
    Served("listTaskHistory", SERVICE, query=ex.TaskHistoryQuery),
    Served("cancelExecution", SERVICE, route=Route(
        "POST", "/v1/executions/{id}/cancel", "Cancel a running execution", "Workflow Execution",
        ("executions:write",))),
    Served("replayFailedFlowExecutions", SERVICE, body=ex.BulkReplayBody, route=Route(
        "POST", "/connect/v1/flows/{id}/executions/replay-failed",
        "Replay every failed execution of a flow started in a time range", "Flow execution control",
        ("flows.write",))),
]
# Flow templates: the library (data files of the service) and cloning one into a draft flow.
SERVED += [
    Served("listFlowTemplates", SERVICE, query=TemplateListQuery),
    Served("getFlowTemplate", SERVICE),
    Served("cloneFlowTemplate", SERVICE, body=TemplateClone),
]
