"""connect-api.txt, Flow templates: `POST /connect/v1/flow-templates/:slug/clone` with
`{ "triggerConnectionId": "...", "name": "..." }` makes a draft workflow from a template."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class TemplateClone(BaseModel):
    """The connection the template's trigger uses (when it has a provider trigger) and the new flow's name
    (the template's name when absent)."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)
    trigger_connection_id: str | None = Field(default=None, min_length=1, max_length=128)
    name: str | None = Field(default=None, min_length=1, max_length=200)


class TemplateListQuery(BaseModel):
    """listFlowTemplates: optionally those of one category or naming a provider."""

    model_config = ConfigDict(extra="forbid")
    category: str | None = Field(default=None, min_length=1, max_length=60)
    provider: str | None = Field(default=None, min_length=1, max_length=64)
