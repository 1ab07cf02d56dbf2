"""Catalogued operations the connections service serves: the gateway forwards them with the catalogue's scope
checks, validating the query models named here first (see junction_common.contracts.operations).

Found by the gateway through the `junction.operations` entry points (this package's pyproject).
"""

from __future__ import annotations

from connections_contracts.catalogue import IntegrationSearchQuery, ProviderListQuery
from connections_contracts.declarations import SERVICE
from junction_common.contracts.operations import Served

SERVED = [
    Served("listProviders", SERVICE, query=ProviderListQuery),
    Served("getProvider", SERVICE),
    Served("listConnectorTypes", SERVICE),
    Served("listAvailableIntegrations", SERVICE),
    Served("searchIntegrations", SERVICE, query=IntegrationSearchQuery),
]
