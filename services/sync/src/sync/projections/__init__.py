"""Read models of the sync service."""

from junction_common.projections.runner import Projection

PROJECTIONS: list[Projection] = []
