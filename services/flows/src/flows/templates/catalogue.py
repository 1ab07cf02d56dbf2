"""The template library: every `library/*.yaml` file, read once, checked against the template model (a slug, a
name, the trigger it expects, a workflow of nodes and edges). FL-CORE's validator checks each workflow in a test.

The presented shapes are camelCase (connect-api's automation surface): a summary for the list, the full template
(its workflow included) for the detail.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

Doc = dict[str, Any]
LIBRARY = Path(__file__).parent / "library"


class TemplateTrigger(BaseModel):
    """What starts a flow made from the template (the body of its trigger subscription, less the connection)."""

    model_config = ConfigDict(extra="forbid")
    kind: str = Field(pattern=r"^(webhook|poll|event|cron|form|manual)$")
    providerType: str | None = None  # the wire's camelCase, as createFlowTrigger takes it
    triggerName: str | None = None
    config: Doc = Field(default_factory=dict)


class TemplateWorkflow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    nodes: list[Doc] = Field(min_length=1)
    edges: list[Doc] = Field(default_factory=list)
    variables: Doc = Field(default_factory=dict)


class Template(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{2,80}$")
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=1000)
    category: str = Field(min_length=1, max_length=60)
    providers: list[str] = Field(default_factory=list)
    trigger: TemplateTrigger
    workflow: TemplateWorkflow

    def summary(self) -> Doc:
        return {"slug": self.slug, "name": self.name, "description": self.description, "category": self.category,
                "providers": self.providers, "trigger": self.trigger.model_dump(exclude={"config"}),
                "steps": len(self.workflow.nodes) - 1}

    def detail(self) -> Doc:
        return {**self.summary(), "trigger": self.trigger.model_dump(), "workflow": self.workflow.model_dump()}


@cache
def library() -> dict[str, Template]:
    """Every template by slug, in name order (a broken file stops the start: it is shipped code)."""
    found = [Template.model_validate(yaml.safe_load(path.read_text())) for path in sorted(LIBRARY.glob("*.yaml"))]
    by_slug = {t.slug: t for t in sorted(found, key=lambda t: t.name.lower())}
    if len(by_slug) != len(found):
        raise ValueError("two flow templates share a slug")
    return by_slug


def listed(category: str | None = None, provider: str | None = None) -> list[Template]:
    return [t for t in library().values()
            if (category is None or t.category.lower() == category.lower())
            and (provider is None or provider in t.providers or provider == t.trigger.providerType)]
