"""workflow-api.txt, Forms: the bodies the edge validates, the form and submission events, their collections.

A form is a name and its fields (text, textarea, email, number, select, checkbox, date), each with a required
flag; a submission is `data` keyed by field name. Shapes (version 1): `form.created` carries `record` (the form
as the API shows it, without its id and timestamps); `form.submitted` (a stream per submission) carries `record`
(`form_id`, `data`: only the form's own fields, normalised) — never the request body as sent.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from junction_common.contracts.event_types import schemas_of

FORMS = "forms"  # read model: one document per form
SUBMISSIONS = "form_submissions"  # read model: one document per submission
CREATE_FORM = "form.create"
SUBMIT_FORM = "form.submit"
FORM_CREATED = "form.created"
FORM_SUBMITTED = "form.submitted"  # the public event type workflow-api names

FieldType = Literal["text", "textarea", "email", "number", "select", "checkbox", "date"]
_CLOSED = ConfigDict(extra="forbid")


class FormField(BaseModel):
    """One field: its `name` (the key in a submission's `data`), `type`, `required`; a select lists `options`."""

    model_config = _CLOSED
    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
    type: FieldType
    required: bool = False
    label: str | None = Field(default=None, max_length=200)
    options: list[str] | None = Field(default=None, max_length=200)
    max_length: int | None = Field(default=None, ge=1, le=100_000)

    @model_validator(mode="after")
    def _options(self) -> FormField:
        if (self.type == "select") != bool(self.options):
            raise ValueError("a select field lists its `options`; no other field type has them")
        return self


class FormCreate(BaseModel):
    """createForm: `name` and `fields` (names unique)."""

    model_config = _CLOSED
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    fields: list[FormField] = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _unique(self) -> FormCreate:
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError("field names must be unique")
        return self


class FormSubmit(BaseModel):
    """submitForm: the values, keyed by field name (checked against the form's fields by the service)."""

    model_config = _CLOSED
    data: dict[str, Any] = Field(max_length=200)


class FormListQuery(BaseModel):
    """listForms / listFormSubmissions: page and limit, as workflow-api's lists."""

    model_config = _CLOSED
    page: int = Field(default=1, ge=1, le=100_000)
    limit: int = Field(default=20, ge=1, le=100)


class Payload(BaseModel):
    model_config = _CLOSED
    schema_version: ClassVar[int] = 1


class FormRecord(BaseModel):
    model_config = _CLOSED
    name: str
    description: str | None = None
    fields: list[FormField]


class SubmissionRecord(BaseModel):
    model_config = _CLOSED
    form_id: str
    data: dict[str, Any]


class FormCreated(Payload):
    """A form was created."""

    record: FormRecord


class FormSubmitted(Payload):
    """A form was submitted (its values checked against its fields); flows with a form trigger on it start."""

    record: SubmissionRecord


EVENT_MODELS: dict[str, type[Payload]] = {FORM_CREATED: FormCreated, FORM_SUBMITTED: FormSubmitted}
DESCRIPTIONS = {FORM_CREATED: "A form was created with its fields.",
                FORM_SUBMITTED: "A form was submitted: its values, checked against the form's fields."}


def json_schemas() -> list[dict[str, Any]]:
    return schemas_of(EVENT_MODELS)
