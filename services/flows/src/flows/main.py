"""flows service entry point: `junction-flows`."""

from __future__ import annotations

from flows import topics
from flows.actions.runner import ProviderActions
from flows.api import internal_routers
from flows.app.routing import decider_for, topic_for
from flows.engine.engine import Engine
from flows.engine.starts import on_start_command
from flows.projections import PROJECTIONS
from flows.settings import FlowsSettings
from flows.triggers.reactions import TriggerReactions
from flows.triggers.schedule import TriggerSchedule
from flows_contracts import declarations as cx
from flows_contracts import executions as ex
from junction_common.service import ServiceSpec, run


def create_spec(settings: FlowsSettings) -> ServiceSpec:
    """The service as it runs."""
    return ServiceSpec(
        name=cx.SERVICE,
        topics=topics.TOPICS,
        command_topic=cx.COMMANDS,
        decider_for=decider_for,
        topic_for=topic_for,
        projections=PROJECTIONS,
        components=[Engine, ProviderActions, TriggerReactions, TriggerSchedule],
        internal_routers=internal_routers,
        handlers={ex.START: on_start_command},
    )


def main() -> None:
    settings = FlowsSettings()
    run(create_spec(settings), settings)


if __name__ == "__main__":
    main()
