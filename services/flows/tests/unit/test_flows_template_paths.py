"""A template that is only a dotted path of names (`{{ trigger.body.email }}`) is read without running jinja: it
gives exactly what the sandboxed expression gives, and anything it cannot read that way is still jinja's."""

from __future__ import annotations

from typing import Any

import pytest

from flows.templating.expressions import TemplateFailure, _compiled_expression, evaluate, render

CONTEXT: dict[str, Any] = {
    "trigger": {"body": {"email": "A@B.CO", "items": [1, 2], "order": {"id": 7}, "none": 3}, "query": {}},
    "steps": {"shape": {"order": "o-1", "total": 100}},
    "vars": {"team": "sales"},
}


def jinja(source: str) -> Any:
    return _compiled_expression(source)(**CONTEXT)


@pytest.mark.parametrize("source", ["trigger.body.email", "steps.shape", " trigger.body.order.id ", "vars",
                                    "trigger.body.items", "trigger.query", "trigger.body.none"])
def test_a_plain_path_reads_what_jinja_reads(source: str) -> None:
    assert render("{{" + source + "}}", CONTEXT) == jinja(source)
    assert evaluate(source, CONTEXT) == jinja(source)


def test_what_is_not_a_plain_path_of_keys_is_jinja_s() -> None:
    assert render("{{ trigger.body.items[1] }}", CONTEXT) == 2
    assert render("{{ trigger.body.email | lower }}", CONTEXT) == "a@b.co"
    assert render("{{ steps.shape.total * 2 }}", CONTEXT) == 200
    assert evaluate("none", CONTEXT) is None  # jinja's constant, not a name
    with pytest.raises(TemplateFailure):
        render("{{ trigger.body.missing }}", CONTEXT)
    with pytest.raises(TemplateFailure):
        render("{{ nothing.here }}", CONTEXT)
