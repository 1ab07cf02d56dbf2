"""Replaying the references' request examples through the real gateway: which operations must be covered, how a
documented example becomes a request against this workspace's real ids, and what an answer must contain.

Used by tests/test_conformance.py. The operations come from the gateway's catalogue (operations.json), so an
operation added to a reference is an operation the conformance test must replay.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from gateway.catalogue import Operation, load_operations
from tests.api import bearer

WORKSPACE = "workspace-api"
# The other references' operations owned by the webhooks service (/v1/webhooks, /v1/integrations/events*).
WEBHOOK_SEEDS = ("workflow-api", "integrations-api")
_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

# Path parameter -> the literal id the reference's examples use for that object. The real id replaces it.
PARAM_EXAMPLE_IDS = {
    "lead_id": "lead_123",
    "deal_id": "deal_123",
    "ticket_id": "ticket_123",
    "task_id": "task_123",
    "entry_id": "ent_123",
    "asset_id": "asset_123",
    "webhook_id": "wh_123",
}

# Literal ids inside documented request bodies that name other objects. Junction generates ids, so each is
# replaced by the id of the object the plan created for it (every other value of a body is sent as documented).
BODY_REFERENCES = (
    "com_123",  # createDeal.company_id -> the company createCompany made
    "inv_123",  # recordPayment.invoice_id -> the invoice createInvoice made
    "acct_cash",  # createJournalEntry lines: the seed never creates these two accounts; the plan does
    "acct_ar",
    "queue_123",  # updateSupportTicket.queue_id -> the queue createSupportQueue made
    "con_123",  # createTask / createActivity related_resource_id -> the contact createContact made
    "col_123",  # createCmsEntry.collection_id -> the collection createCmsCollection made
    "ent_123",  # createAssetUploadIntent.related_resource_id -> the entry createCmsEntry made
    "integration-id",  # filterIntegrationEvents.integrationId -> a real webhook endpoint (integration) id
    # Webhook URLs: an endpoint's host must resolve when it is saved (SSRF policy), build machines have no DNS,
    # and a test must not send events to third parties; the documented path is kept on a local receiver's origin.
    "https://example.com/slab5/webhooks",  # workspace-api createWebhookEndpoint
    "https://yoursite.com/webhook",  # workflow-api POST /webhooks
)


class Unavailable(Exception):
    """A documented id whose object an earlier (failed) replay should have created."""


def expected_cases() -> set[tuple[str, str]]:
    """(seed, operation id) of every operation the test must replay: all of workspace-api, plus the webhooks
    service's operations of workflow-api and integrations-api."""
    cases = {(WORKSPACE, op.operation_id) for op in load_operations() if WORKSPACE in op.seeds}
    cases |= {(seed, op.operation_id) for op in load_operations() if op.service == "webhooks"
              for seed in WEBHOOK_SEEDS if seed in op.seeds}
    return cases


def operation(seed: str, operation_id: str) -> Operation:
    [op] = [op for op in load_operations() if op.operation_id == operation_id and seed in op.seeds]
    return op


def request_example(op: Operation, seed: str) -> Any:
    return op.extra_request_examples.get(seed, op.request_example if seed == op.seed else None)


def response_example(op: Operation, seed: str) -> Any:
    """The reference's response for this operation; a shared operation's other seed documents the same resource."""
    return op.extra_response_examples.get(seed, op.response_example)


def substitute(value: Any, ids: dict[str, str]) -> Any:
    """The example with every BODY_REFERENCES literal replaced by its real id (nothing else changes)."""
    if isinstance(value, dict):
        return {k: substitute(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, ids) for v in value]
    if isinstance(value, str) and value in BODY_REFERENCES:
        if value not in ids:
            raise Unavailable(value)
        return ids[value]
    return value


def is_list_operation(op: Operation, documented: Any) -> bool:
    data = documented.get("data") if isinstance(documented, dict) else None
    return isinstance(data, list) or op.operation_id.startswith("list")


def _missing(documented: dict[str, Any], ours: Any, where: str) -> list[str]:
    if not isinstance(ours, dict):
        return [f"{where} is not an object: {ours!r}"] if documented else []
    absent = sorted(set(documented) - set(ours))
    return [f"{where} lacks documented field(s) {absent}"] if absent else []


def problems(op: Operation, seed: str, status: int, body: Any) -> list[str]:
    """Why this answer does not conform: a 2xx, the envelope, every documented field of `data` present."""
    if not 200 <= status < 300:
        return [f"status {status}"]
    if not isinstance(body, dict):
        return [f"no JSON envelope: {body!r}"]
    found = [f"envelope lacks {k!r}" for k in ("success", "data", "request_id") if k not in body]
    if body.get("success") is not True:
        found.append(f"success is {body.get('success')!r}")
    if not isinstance(body.get("request_id"), str) or not body.get("request_id"):
        found.append(f"request_id is {body.get('request_id')!r}")
    documented = response_example(op, seed)
    doc_data = documented.get("data") if isinstance(documented, dict) else None
    if is_list_operation(op, documented):
        if "next_cursor" not in body:
            found.append("list envelope lacks 'next_cursor'")
        if not isinstance(body.get("data"), list):
            return [*found, f"data of a list is not a list: {body.get('data')!r}"]
        item = doc_data[0] if isinstance(doc_data, list) and doc_data else {}
        for i, ours in enumerate(body["data"]):
            found += _missing(item, ours, f"data[{i}]")
    elif isinstance(doc_data, dict):
        found += _missing(doc_data, body.get("data"), "data")
    return found


@dataclass
class Result:
    seed: str
    operation_id: str
    method: str
    path: str
    request: Any
    status: int
    response: Any
    problems: list[str]

    def report(self) -> str:
        return (f"[{self.seed}] {self.operation_id}: {'; '.join(self.problems)}\n"
                f"    request:  {self.method} {self.path} {json.dumps(self.request)}\n"
                f"    response: {self.status} {json.dumps(self.response)[:800]}")


@dataclass
class Replayer:
    """Sends documented requests for one workspace, remembers the real id behind each documented id, and records
    one Result per replayed operation."""

    http: Any
    base: str
    key: str
    ids: dict[str, str] = field(default_factory=dict)
    results: list[Result] = field(default_factory=list)

    async def send(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        kwargs: dict[str, Any] = {"headers": bearer(self.key)}
        if body is not None:
            kwargs["json"] = body
        async with self.http.request(method, self.base + path, **kwargs) as resp:
            text = await resp.text()
            try:
                return resp.status, json.loads(text) if text else None
            except ValueError:
                return resp.status, text

    async def setup(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        """A prerequisite call (not a replay): it must succeed."""
        status, answer = await self.send(method, path, body)
        assert 200 <= status < 300, f"setup {method} {path} {body}: {status} {answer}"
        return dict(answer["data"])

    def path_of(self, op: Operation, params: dict[str, str]) -> str:
        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in params:
                return params[name]
            if PARAM_EXAMPLE_IDS[name] not in self.ids:
                raise Unavailable(PARAM_EXAMPLE_IDS[name])
            return self.ids[PARAM_EXAMPLE_IDS[name]]

        return _PARAM.sub(value, op.path)

    async def replay(self, seed: str, operation_id: str, *, params: dict[str, str] | None = None,
                     body: Any = None) -> Any:
        """Send the documented request (or `body`, for operations the reference documents without one); returns
        our `data` and maps the documented id of a created object to ours."""
        op = operation(seed, operation_id)
        try:
            if body is None:
                body = substitute(request_example(op, seed), self.ids)
            path = self.path_of(op, params or {})
        except Unavailable as exc:
            self.results.append(Result(seed, operation_id, op.method, op.path, request_example(op, seed), 0, None,
                                       [f"not sent: no object for {exc.args[0]!r} (an earlier replay failed)"]))
            return None
        status, answer = await self.send(op.method, path, body)
        self.results.append(Result(seed, operation_id, op.method, path, body, status, answer,
                                   problems(op, seed, status, answer)))
        data = answer.get("data") if isinstance(answer, dict) else None
        documented = response_example(op, seed)
        doc_data = documented.get("data") if isinstance(documented, dict) else None
        doc_id = doc_data.get("id") if isinstance(doc_data, dict) else None
        if op.method == "POST" and isinstance(doc_id, str) and isinstance(data, dict) and "id" in data:
            self.ids.setdefault(doc_id, data["id"])
        return data

    def covered(self) -> set[tuple[str, str]]:
        return {(r.seed, r.operation_id) for r in self.results}

    def failures(self) -> dict[tuple[str, str], Result]:
        return {(r.seed, r.operation_id): r for r in self.results if r.problems}
