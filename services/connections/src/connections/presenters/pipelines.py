"""pipelines-api.txt's connector types (`/api/pipelines/connector-types`) from manifests: its own shape, no
envelope."""

from __future__ import annotations

from collections.abc import Iterable

from connections.catalogue.facts import auth_type, connector_type, required_credential_fields
from connections.catalogue.manifest import Manifest
from connections.presenters.common import credential_view
from connections_contracts.catalogue import ConnectorType, ConnectorTypeList


def connector_type_view(m: Manifest) -> ConnectorType:
    """A connector type with the credentials a connection of it requires (`type` is what POST /connections takes)."""
    return ConnectorType(type=connector_type(m), name=m.name, family=m.connector_type, category=m.categories[0],
                         categories=list(m.categories), provider=m.type, auth_type=auth_type(m),
                         credentials=[credential_view(f) for f in required_credential_fields(m)])


def connector_types(manifests: Iterable[Manifest]) -> ConnectorTypeList:
    return ConnectorTypeList(connector_types=sorted((connector_type_view(m) for m in manifests),
                                                    key=lambda c: c.type))
