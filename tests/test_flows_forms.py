"""Forms through the real gateway (workflow-api: listForms, getForm, createForm, submitForm, listFormSubmissions),
on the real stack: the documented examples, every field type, submissions checked against the form's fields with
the documented error shape, stored and listed, and one workspace never sees another's forms."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.flows_edge import FlowsEdge, flows_edge

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

DOCUMENTED_FORM = {"name": "Contact Form", "fields": [{"name": "email", "type": "email", "required": True},
                                                      {"name": "message", "type": "textarea", "required": True}]}
DOCUMENTED_SUBMISSION = {"data": {"email": "user@example.com", "message": "Hello!"}}
EVERY_TYPE = {"name": "Every type", "fields": [
    {"name": "title", "type": "text"}, {"name": "body", "type": "textarea"},
    {"name": "email", "type": "email", "required": True}, {"name": "seats", "type": "number"},
    {"name": "plan", "type": "select", "options": ["free", "pro"], "required": True},
    {"name": "terms", "type": "checkbox", "required": True}, {"name": "start", "type": "date"}]}


@pytest_asyncio.fixture(scope="module")
async def edge(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FlowsEdge]:
    async with flows_edge(Path(tmp_path_factory.mktemp("forms"))) as running:
        yield running


async def create(edge: FlowsEdge, form: dict[str, Any]) -> dict[str, Any]:
    status, body = await edge.call("POST", "/v1/forms", form)
    assert status == 201, body
    data: dict[str, Any] = body["data"]
    return data


async def test_the_documented_examples(edge: FlowsEdge) -> None:
    form = await create(edge, DOCUMENTED_FORM)
    assert form["name"] == "Contact Form" and form["id"].startswith("form_")
    assert [f["name"] for f in form["fields"]] == ["email", "message"]
    status, body = await edge.call("GET", f"/v1/forms/{form['id']}")
    assert status == 200 and body["data"] == form, body
    status, body = await edge.call("POST", f"/v1/forms/{form['id']}/submissions", DOCUMENTED_SUBMISSION)
    assert status == 201, body
    assert body["data"]["form_id"] == form["id"] and body["data"]["data"] == DOCUMENTED_SUBMISSION["data"]
    status, body = await edge.call("GET", f"/v1/forms/{form['id']}/submissions")
    assert status == 200 and [s["data"] for s in body["data"]] == [DOCUMENTED_SUBMISSION["data"]], body
    status, body = await edge.call("GET", "/v1/forms")
    assert status == 200 and form["id"] in [f["id"] for f in body["data"]], body
    assert body["meta"]["page"] == 1 and body["meta"]["total"] >= 1


async def test_every_field_type_is_checked_and_normalised(edge: FlowsEdge) -> None:
    form = await create(edge, EVERY_TYPE)
    good = {"title": "Hi", "email": " ada@example.com ", "seats": "3", "plan": "pro", "terms": True,
            "start": "2026-12-01"}
    status, body = await edge.call("POST", f"/v1/forms/{form['id']}/submissions", {"data": good})
    assert status == 201, body
    assert body["data"]["data"] == {**good, "email": "ada@example.com", "seats": 3}
    bad = {"email": "not-an-email", "seats": "many", "plan": "gold", "terms": False, "start": "01/12/2026",
           "extra": 1}
    status, body = await edge.call("POST", f"/v1/forms/{form['id']}/submissions", {"data": bad})
    assert status == 422, body
    assert body["success"] is False and body["error"]["code"] == "VALIDATION_ERROR"
    errors = {e["field"]: e["message"] for e in body["error"]["details"]["errors"]}
    assert errors == {"extra": "is not a field of this form", "email": "must be an email address",
                      "seats": "must be a number", "plan": "must be one of the field's options",
                      "terms": "is required", "start": "must be a date (YYYY-MM-DD)"}
    status, body = await edge.call("GET", f"/v1/forms/{form['id']}/submissions")
    assert len(body["data"]) == 1


async def test_required_fields_are_named_when_missing(edge: FlowsEdge) -> None:
    form = await create(edge, DOCUMENTED_FORM)
    status, body = await edge.call("POST", f"/v1/forms/{form['id']}/submissions", {"data": {"message": " "}})
    assert status == 422, body
    assert body["error"]["details"]["errors"] == [{"field": "email", "message": "is required"},
                                                  {"field": "message", "message": "is required"}]


async def test_a_bad_definition_is_refused(edge: FlowsEdge) -> None:
    status, body = await edge.call("POST", "/v1/forms", {"name": "x", "fields": [{"name": "a", "type": "color"}]})
    assert status == 422 and body["error"]["code"] == "VALIDATION_ERROR", body
    status, body = await edge.call("POST", "/v1/forms", {"name": "x", "fields": [{"name": "a", "type": "select"}]})
    assert status == 422, body
    dup = {"name": "x", "fields": [{"name": "a", "type": "text"}, {"name": "a", "type": "number"}]}
    status, body = await edge.call("POST", "/v1/forms", dup)
    assert status == 422, body


async def test_another_workspace_sees_nothing(edge: FlowsEdge) -> None:
    form = await create(edge, DOCUMENTED_FORM)
    status, body = await edge.call("GET", f"/v1/forms/{form['id']}", key=edge.other_key)
    assert status == 404, body
    status, body = await edge.call("POST", f"/v1/forms/{form['id']}/submissions", DOCUMENTED_SUBMISSION,
                                   key=edge.other_key)
    assert status == 404, body
    status, body = await edge.call("GET", "/v1/forms", key=edge.other_key)
    assert status == 200 and body["data"] == [], body
