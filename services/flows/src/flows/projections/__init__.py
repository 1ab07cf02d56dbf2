"""Read models of the flows service."""

from junction_common.projections.runner import Projection

PROJECTIONS: list[Projection] = []
