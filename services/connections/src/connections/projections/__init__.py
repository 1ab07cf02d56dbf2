"""Read models of the connections service."""

from connections.projections.connections import CONNECTIONS

PROJECTIONS = [CONNECTIONS]
