"""The `forms` and `form_submissions` read models: one document per form, one per submission, as workflow-api
shows them (snake_case, `created_at` from the event's `occurred_at`)."""

from __future__ import annotations

import copy
from typing import Any

from flows_contracts import declarations as decl
from flows_contracts import forms as fx
from junction_common.envelope import EventEnvelope
from junction_common.projections.runner import Projection

Doc = dict[str, Any]


def apply_form(doc: Doc | None, event: EventEnvelope) -> Doc:
    """Pure: the form after `event`."""
    at = event.occurred_at.isoformat()
    record = copy.deepcopy(event.data["record"])
    if event.type == fx.FORM_CREATED:
        return {**record, "id": event.stream_id, "workspace_id": event.workspace_id, "created_at": at,
                "updated_at": at}
    return {**(doc or {}), **record, "updated_at": at}


def apply_submission(doc: Doc | None, event: EventEnvelope) -> Doc:
    """Pure: the submission `event` recorded (a submission's stream holds that one event)."""
    record = copy.deepcopy(event.data["record"])
    return {**(doc or {}), **record, "id": event.stream_id, "workspace_id": event.workspace_id,
            "created_at": event.occurred_at.isoformat()}


FORMS = Projection(name="flows.forms", service=decl.SERVICE, topics=(decl.FORM_EVENTS,), collection=fx.FORMS,
                   apply=apply_form, indexes=((("workspace_id", 1),),))
SUBMISSIONS = Projection(name="flows.form_submissions", service=decl.SERVICE,
                         topics=(decl.FORM_SUBMISSION_EVENTS,), collection=fx.SUBMISSIONS, apply=apply_submission,
                         indexes=((("form_id", 1),),))
