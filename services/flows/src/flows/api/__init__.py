"""The flows service's internal API: each public operation it serves, at its public path under `/internal` (the
gateway forwards `GET /connect/v1/tables` here as `GET /internal/connect/v1/tables`, signed for its caller).
Answers are already in each reference's documented shape.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter

from flows.api import actions, executions, executions_flows, forms, task_history, templates, triggers, workflows
from flows.triggers import key_rotation
from junction_common.service import ServiceRuntime

# Each feature's router factory, given the running service; a feature adds its own line. The triggers' router
# comes first: its webhook route (`/flow-hooks/{token}`, the busiest) is matched before any other's routes.
ROUTERS: list[Callable[[ServiceRuntime], APIRouter]] = []
ROUTERS += [triggers.router, actions.router, forms.router, templates.router]
ROUTERS += [workflows.router, executions.router, executions_flows.router, task_history.router]
ROUTERS += [key_rotation.router]


def internal_routers(runtime: ServiceRuntime) -> list[APIRouter]:
    return [make(runtime) for make in ROUTERS]
