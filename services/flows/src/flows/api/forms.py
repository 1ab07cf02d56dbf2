"""workflow-api.txt, Forms: list, get, create, submit, list submissions; in the `/v1` envelope.

A submission is checked against the form's fields (422 VALIDATION_ERROR with every error as `{field, message}`
in `details.errors`), stored, and starts every flow with a form trigger on the form (flows.triggers.reactions).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from flows.domain.form import submission_errors
from flows.forms.commands import run_command
from flows_contracts import forms as fx
from flows_contracts.declarations import WORKFLOW_BASE
from junction_common.identity import Principal
from junction_common.ids import new_ulid
from junction_common.internal_api import caller
from junction_common.service import ServiceRuntime
from junction_common.web.envelope import ApiError, json_response, ok_body, request_id_of
from junction_common.web.listing import present

Caller = Annotated[Principal, Depends(caller)]
FormId = Annotated[str, Path(max_length=64)]
Doc = dict[str, Any]


def form_view(doc: Doc) -> Doc:
    return {"id": doc["_id"], **{k: v for k, v in present(doc).items() if k != "id"}}


def router(runtime: ServiceRuntime) -> APIRouter:
    api = APIRouter(prefix="/internal" + WORKFLOW_BASE + "/forms")
    forms = runtime.db[fx.FORMS]

    async def find(principal: Principal, form_id: str) -> Doc:
        doc = await forms.find_one({"_id": form_id})
        if doc is None or doc.get("workspace_id") != principal.workspace_id:
            raise ApiError("NOT_FOUND", "Form not found.", {"id": form_id})
        return dict(doc)

    async def page_of(request: Request, collection: str, filt: Doc, query: fx.FormListQuery) -> Response:
        total = await runtime.db[collection].count_documents(filt)
        cursor = runtime.db[collection].find(filt).sort("_id", -1)
        docs = await cursor.skip((query.page - 1) * query.limit).limit(query.limit).to_list()
        meta = {"page": query.page, "limit": query.limit, "total": total}
        return json_response(ok_body([form_view(d) for d in docs], request_id_of(request), meta=meta))

    @api.get("")
    async def list_forms(request: Request, principal: Caller, query: Annotated[fx.FormListQuery, Query()]) -> Response:
        """The workspace's forms, newest first, a page at a time."""
        return await page_of(request, fx.FORMS, {"workspace_id": principal.workspace_id}, query)

    @api.get("/{id}")
    async def get_form(id: FormId, request: Request, principal: Caller) -> Response:
        """One form with its fields."""
        return json_response(ok_body(form_view(await find(principal, id)), request_id_of(request)))

    @api.post("")
    async def create_form(body: fx.FormCreate, request: Request, principal: Caller) -> Response:
        """A new form: its name and fields (text, textarea, email, number, select, checkbox, date), each required
        or not."""
        rid = request_id_of(request)
        doc = await run_command(runtime, principal, rid, fx.CREATE_FORM, "form_" + new_ulid(),
                                {"record": body.model_dump(mode="json")}, fx.FORMS)
        return json_response(ok_body(form_view(doc), rid), 201)

    @api.post("/{id}/submissions")
    async def submit_form(id: FormId, body: fx.FormSubmit, request: Request, principal: Caller) -> Response:
        """A submission, checked against the form's fields, stored; the form's flows start."""
        form = await find(principal, id)
        fields = [fx.FormField.model_validate(f) for f in form["fields"]]
        _, errors = submission_errors(fields, body.data)
        if errors:
            raise ApiError("VALIDATION_ERROR", "The submission does not fit the form's fields.", {"errors": errors})
        rid = request_id_of(request)
        data = {"form_id": id, "fields": form["fields"], "data": body.data}
        doc = await run_command(runtime, principal, rid, fx.SUBMIT_FORM, "fsub_" + new_ulid(), data, fx.SUBMISSIONS)
        return json_response(ok_body(form_view(doc), rid), 201)

    @api.get("/{id}/submissions")
    async def list_form_submissions(id: FormId, request: Request, principal: Caller,
                                    query: Annotated[fx.FormListQuery, Query()]) -> Response:
        """The form's submissions, newest first, a page at a time."""
        await find(principal, id)
        filt = {"workspace_id": principal.workspace_id, "form_id": id}
        return await page_of(request, fx.SUBMISSIONS, filt, query)

    return api
