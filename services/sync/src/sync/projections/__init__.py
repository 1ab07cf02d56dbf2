"""Read models of the sync service."""

from junction_common.projections.runner import Projection
from sync.projections.tables import TABLES

PROJECTIONS: list[Projection] = []
PROJECTIONS.append(TABLES)
