"""Read models of the flows service."""

from flows.projections.executions import EXECUTIONS
from flows.projections.forms import FORMS, SUBMISSIONS
from flows.projections.triggers import TRIGGERS
from flows.projections.workflows import WORKFLOWS
from junction_common.projections.runner import Projection

PROJECTIONS: list[Projection] = []
PROJECTIONS += [FORMS, SUBMISSIONS, TRIGGERS]
PROJECTIONS += [WORKFLOWS, EXECUTIONS]
