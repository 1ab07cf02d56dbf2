"""connections service entry point: `junction-connections`."""

from __future__ import annotations

import sys

from connections import topics
from connections.api import internal_routers
from connections.app.egress import EgressPolicy
from connections.app.oauth_flow import oauth_clients
from connections.app.provider_test import ProviderTester
from connections.app.routing import decider_for, topic_for
from connections.catalogue.index import Catalogue
from connections.catalogue.loader import CatalogueError, load_catalogue
from connections.projections import PROJECTIONS
from connections.settings import ConnectionsSettings
from connections_contracts import declarations as cx
from junction_common.service import ServiceSpec, run


def create_spec(settings: ConnectionsSettings, catalogue: Catalogue | None = None) -> ServiceSpec:
    """The service as it runs; the provider catalogue is loaded here, once (a refused manifest stops the start)."""
    catalogue = catalogue if catalogue is not None else load_catalogue(settings.provider_paths())
    oauth_clients(settings)  # an unreadable JUNCTION_OAUTH_CLIENTS stops the start (ValueError, value not shown)
    policy = EgressPolicy.of(settings.provider_allow_networks, settings.provider_require_https,
                             settings.provider_egress_hosts)
    return ServiceSpec(
        name=cx.SERVICE,
        topics=topics.TOPICS,
        command_topic=cx.COMMANDS,
        decider_for=decider_for,
        topic_for=topic_for,
        projections=PROJECTIONS,
        components=[lambda runtime: ProviderTester(policy, settings.provider_timeout_s)],
        internal_routers=internal_routers(catalogue),
    )


def main() -> None:
    settings = ConnectionsSettings()
    try:
        spec = create_spec(settings)
    except CatalogueError as exc:
        sys.stderr.write(f"junction-connections: the provider catalogue was refused: {exc}\n")
        sys.exit(2)
    except ValueError as exc:  # the settings' own message, which repeats no secret
        sys.stderr.write(f"junction-connections: {exc}\n")
        sys.exit(2)
    run(spec, settings)


if __name__ == "__main__":
    main()
