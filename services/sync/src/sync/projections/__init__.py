"""Read models of the sync service."""

from junction_common.projections.runner import Projection
from sync.projections.runs import CURSORS, RUNS
from sync.projections.runs_facts import CONNECTIONS, NOTIFICATIONS
from sync.projections.tables import TABLES

PROJECTIONS: list[Projection] = []
PROJECTIONS.append(TABLES)
PROJECTIONS += [RUNS, CURSORS, CONNECTIONS, NOTIFICATIONS]
