"""webhooks service entry point: `junction-webhooks`."""

from __future__ import annotations

from junction_common.service import ServiceSpec, run
from webhooks import topics
from webhooks.api import PRESENTERS, internal_routers
from webhooks.app.delivery_commands import HANDLERS
from webhooks.app.routing import decider_for_policy, topic_for
from webhooks.delivery.address_policy import AddressPolicy
from webhooks.delivery.engine import DeliveryEngine
from webhooks.projections import PROJECTIONS
from webhooks.provider_forwarding.forwarder import ProviderForwarding
from webhooks.settings import WebhooksSettings
from webhooks_contracts import declarations as wh
from webhooks_contracts.event_upcasters import UPCASTERS


def create_spec(settings: WebhooksSettings) -> ServiceSpec:
    policy = AddressPolicy.from_settings(settings.webhook_allow_networks, settings.webhook_require_https)
    return ServiceSpec(
        name=wh.SERVICE,
        topics=topics.TOPICS,
        command_topic=wh.COMMANDS,
        decider_for=decider_for_policy(policy),
        topic_for=topic_for,
        projections=PROJECTIONS,
        handlers=dict(HANDLERS),
        components=[DeliveryEngine, ProviderForwarding],
        internal_routers=internal_routers,
        upcasters=UPCASTERS,
        presenters=PRESENTERS,
    )


def main() -> None:
    settings = WebhooksSettings()
    run(create_spec(settings), settings)


if __name__ == "__main__":
    main()
