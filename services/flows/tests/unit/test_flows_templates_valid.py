"""Every flow template is a valid, complete workflow definition by the workflow validator, and there are at least
fifteen of them, each with a unique slug and a trigger its workflow's trigger node agrees with."""

from __future__ import annotations

import pytest

from flows.domain.workflow_graph import graph_errors
from flows.templates.catalogue import Template, library
from flows_contracts.nodes import Edge, Node

TEMPLATES = list(library().values())


def test_there_are_at_least_fifteen_templates() -> None:
    assert len(TEMPLATES) >= 15
    assert len({t.category for t in TEMPLATES}) >= 5


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.slug)
def test_each_template_is_a_valid_complete_workflow(template: Template) -> None:
    nodes = [Node.model_validate(n) for n in template.workflow.nodes]
    edges = [Edge.model_validate(e) for e in template.workflow.edges]
    assert graph_errors(nodes, edges) == []
    [trigger] = [n for n in nodes if n.type == "trigger"]
    assert trigger.config.get("kind") == template.trigger.kind
