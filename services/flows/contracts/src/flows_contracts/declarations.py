"""The flows service's name, topics and the documented paths it owns."""

from __future__ import annotations

SERVICE = "flows"
COMMANDS = "flows.commands"
WORKFLOW_EVENTS = "flows.workflow.events"
EXECUTION_EVENTS = "flows.execution.events"
FORM_EVENTS = "flows.form.events"
FORM_SUBMISSION_EVENTS = "flows.form_submission.events"
TRIGGER_EVENTS = "flows.trigger.events"

# Base paths of the references this service answers (see ../shared/DESIGN.md, "Where each seed's operations live").
CONNECT_BASE = "/connect/v1"
WORKFLOW_BASE = "/v1"
