"""Field types shared by every CRM-side resource declaration (workspace-api.txt)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Name = Annotated[str, Field(min_length=1, max_length=200)]
Text = Annotated[str, Field(max_length=10000)]
Id = Annotated[str, Field(min_length=3, max_length=64, pattern=r"^[a-z]+_[A-Za-z0-9]+$")]
Key = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
Slug = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.-]*$")]
Cents = Annotated[int, Field(ge=0, le=10**13)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Timestamp = Annotated[str, Field(max_length=40, pattern=r"^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$")]
Day = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]
Domain = Annotated[str, Field(max_length=253, pattern=r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")]
CustomFields = dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{1,64}$")], str | int | float | bool | None]
# Fields naming a person (the user or agent a task or ticket is assigned to, a message's author) rather than a
# record of the workspace: the CRM keeps them as given, so they are not links (see ResourceContract.links).
PERSON_ID_FIELDS = ("assignee_id", "author_id")


class Body(BaseModel):
    """A request body: unknown fields are a VALIDATION_ERROR, never silently dropped."""

    model_config = ConfigDict(extra="forbid")
