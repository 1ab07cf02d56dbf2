"""Form (`form_...`) and form submission (`fsub_...`) aggregates.

Invariants:
- A form is created once, with at least one field and unique field names; a select lists its options.
- A submission is accepted only when its values fit the form's fields: every required field present and not
  empty (a required checkbox checked), no field the form does not have, each value of its field's type (an email
  address, a number, one of a select's options, a boolean, an ISO date). The submission records the values
  normalised (a number given as text becomes a number), never the body as sent.
- A submission is created once (its stream holds one event).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flows_contracts import forms as fx
from junction_common.decisions import CommandRejected
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent

Doc = dict[str, Any]
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}$")
TEXT_MAX = 10_000
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str) and _NUMBER.match(value.strip()):
        text = value.strip()
        return float(text) if "." in text else int(text)
    return None


def _date(value: Any) -> str | None:
    try:
        return date.fromisoformat(value).isoformat() if isinstance(value, str) else None
    except ValueError:
        return None


def _checked(field: fx.FormField, value: Any) -> tuple[Any, str | None]:
    """The value normalised for its field, or the reason it does not fit."""
    kind = field.type
    if kind in ("text", "textarea", "email"):
        if not isinstance(value, str):
            return None, "must be a string"
        if len(value) > (field.max_length or TEXT_MAX):
            return None, f"must be at most {field.max_length or TEXT_MAX} characters"
        if kind == "email" and not EMAIL.match(value.strip()):
            return None, "must be an email address"
        return value.strip() if kind == "email" else value, None
    if kind == "number":
        number = _number(value)
        return (number, None) if number is not None else (None, "must be a number")
    if kind == "select":
        return (value, None) if value in (field.options or []) else (None, "must be one of the field's options")
    if kind == "checkbox":
        return (value, None) if isinstance(value, bool) else (None, "must be true or false")
    day = _date(value)
    return (day, None) if day is not None else (None, "must be a date (YYYY-MM-DD)")


def submission_errors(fields: list[fx.FormField], data: Doc) -> tuple[Doc, list[Doc]]:
    """The submission's values normalised, and every error as `{field, message}` (none when it fits)."""
    known = {f.name: f for f in fields}
    errors = [{"field": name, "message": "is not a field of this form"} for name in data if name not in known]
    clean: Doc = {}
    for field in fields:
        value = data.get(field.name)
        if _empty(value) or (field.type == "checkbox" and field.required and value is False):
            if field.required:
                errors.append({"field": field.name, "message": "is required"})
            continue
        normal, problem = _checked(field, value)
        if problem is not None:
            errors.append({"field": field.name, "message": problem})
        else:
            clean[field.name] = normal
    return clean, errors


def decide_create(cmd: CommandEnvelope, history: list[EventEnvelope]) -> list[NewEvent]:
    """A form is created once, from a valid definition."""
    if history:
        raise CommandRejected("VALIDATION_ERROR", "The form already exists.", {"id": cmd.aggregate_id})
    record = fx.FormRecord.model_validate(cmd.data["record"])
    return [_event(fx.FORM_CREATED, record=record.model_dump(mode="json"))]


def decide_submit(cmd: CommandEnvelope, history: list[EventEnvelope]) -> list[NewEvent]:
    """A submission is recorded once, only when its values fit the form's fields."""
    if history:
        return []
    fields = [fx.FormField.model_validate(f) for f in cmd.data["fields"]]
    clean, errors = submission_errors(fields, cmd.data["data"])
    if errors:
        raise CommandRejected("VALIDATION_ERROR", "The submission does not fit the form's fields.",
                              {"errors": errors})
    return [_event(fx.FORM_SUBMITTED, record={"form_id": cmd.data["form_id"], "data": clean})]


def _event(event_type: str, **parts: Any) -> NewEvent:
    """An event built through its payload model (a part the model refuses is a bug in the decision)."""
    model = fx.EVENT_MODELS[event_type]
    data = model.model_validate(parts).model_dump(mode="json")
    return NewEvent(type=event_type, data=data, schema_version=model.schema_version)


DECIDERS = {fx.CREATE_FORM: decide_create, fx.SUBMIT_FORM: decide_submit}
