"""The foundation slice end to end: gateway -> crm.commands -> crm -> event store -> relay -> projection."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

CONTACT = {"name": "Jane Doe", "email": "jane@acme.com", "company_name": "Acme Corp"}


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_create_then_list_reads_own_write(gateway, crm_service, workspace, http):
    _, key = workspace
    async with http.post(f"{gateway.url}/v1/contacts", json=CONTACT, headers=auth(key)) as resp:
        assert resp.status == 201
        body = await resp.json()
        assert resp.headers["X-Request-Id"] == body["request_id"]
    contact = body["data"]
    assert contact["id"].startswith("con_")
    assert {k: contact[k] for k in CONTACT} == CONTACT
    assert body["success"] is True and body["request_id"].startswith("req_")
    async with http.get(f"{gateway.url}/v1/contacts", headers={"x-api-key": key}) as resp:
        listed = await resp.json()
    assert resp.status == 200
    assert [c["id"] for c in listed["data"]] == [contact["id"]]
    assert listed["next_cursor"] is None and listed["request_id"]


async def test_idempotency_key_replays_and_rejects_other_body(gateway, crm_service, workspace, http):
    _, key = workspace
    headers = {**auth(key), "Idempotency-Key": "create-jane-1"}
    async with http.post(f"{gateway.url}/v1/contacts", json=CONTACT, headers=headers) as first:
        first_body = await first.read()
    async with http.post(f"{gateway.url}/v1/contacts", json=CONTACT, headers=headers) as again:
        again_body = await again.read()
        assert again.headers.get("Idempotent-Replayed") == "true"
    assert (first.status, again.status) == (201, 201)
    assert again_body == first_body
    other = {**CONTACT, "name": "Someone Else"}
    async with http.post(f"{gateway.url}/v1/contacts", json=other, headers=headers) as conflict:
        err = await conflict.json()
    assert conflict.status == 422
    assert err["success"] is False and err["error"]["code"] == "IDEMPOTENCY_CONFLICT"
    async with http.get(f"{gateway.url}/v1/contacts", headers=auth(key)) as resp:
        assert len((await resp.json())["data"]) == 1


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer jk_live_not-a-real-key"},
                                     {"x-api-key": "wrong"}])
async def test_missing_or_invalid_key_is_401(gateway, crm_service, http, headers):
    for method in ("GET", "POST"):
        async with http.request(method, f"{gateway.url}/v1/contacts", json=CONTACT, headers=headers) as resp:
            body = await resp.json()
        assert resp.status == 401
        assert body["success"] is False and body["error"]["code"] == "UNAUTHORIZED"
        assert body["request_id"] == resp.headers["X-Request-Id"]


async def test_invalid_body_is_rejected_with_pointers_and_changes_nothing(gateway, crm_service, workspace, http):
    _, key = workspace
    bad = {"name": "", "email": "not-an-email", "unexpected": 1}
    async with http.post(f"{gateway.url}/v1/contacts", json=bad, headers=auth(key)) as resp:
        body = await resp.json()
    assert resp.status == 422 and body["error"]["code"] == "VALIDATION_ERROR"
    pointers = {d["pointer"] for d in body["error"]["details"]}
    assert {"/name", "/email", "/unexpected"} <= pointers
    async with http.get(f"{gateway.url}/v1/contacts", headers=auth(key)) as resp:
        assert (await resp.json())["data"] == []


async def test_workspaces_never_see_each_other(gateway, crm_service, http):
    from conftest import create_workspace

    _, key_a = await create_workspace(gateway.settings, "A")
    _, key_b = await create_workspace(gateway.settings, "B")
    async with http.post(f"{gateway.url}/v1/contacts", json=CONTACT, headers=auth(key_a)) as resp:
        assert resp.status == 201
    async with http.get(f"{gateway.url}/v1/contacts", headers=auth(key_b)) as resp:
        assert (await resp.json())["data"] == []
    async with http.get(f"{gateway.url}/v1/contacts?query=jane", headers=auth(key_b)) as resp:
        assert (await resp.json())["data"] == []


async def test_search_filters_and_cursor_pages(gateway, crm_service, workspace, http):
    _, key = workspace
    names = ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Adele Goldberg", "Barbara Liskov"]
    companies = []
    for company in ("X", "Y"):  # a contact's company_id names a company of the workspace
        async with http.post(f"{gateway.url}/v1/companies", json={"name": company}, headers=auth(key)) as resp:
            companies.append((await resp.json())["data"]["id"])
    com_x, com_y = companies
    for i, name in enumerate(names):
        payload = {"name": name, "company_id": com_x if i % 2 == 0 else com_y, "notes": f"note {i}"}
        async with http.post(f"{gateway.url}/v1/contacts", json=payload, headers=auth(key)) as resp:
            assert resp.status == 201
    async with http.get(f"{gateway.url}/v1/contacts?query=ad", headers=auth(key)) as resp:
        assert sorted(c["name"] for c in (await resp.json())["data"]) == ["Ada Lovelace", "Adele Goldberg"]
    async with http.get(f"{gateway.url}/v1/contacts?query=TURING", headers=auth(key)) as resp:
        assert [c["name"] for c in (await resp.json())["data"]] == ["Alan Turing"]
    async with http.get(f"{gateway.url}/v1/contacts?company_id={com_y}", headers=auth(key)) as resp:
        assert sorted(c["name"] for c in (await resp.json())["data"]) == ["Adele Goldberg", "Alan Turing"]
    seen, cursor = [], None
    while True:
        url = f"{gateway.url}/v1/contacts?limit=2" + (f"&cursor={cursor}" if cursor else "")
        async with http.get(url, headers=auth(key)) as resp:
            page = await resp.json()
        seen += [c["name"] for c in page["data"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(names))
    for bad in ("limit=0", "limit=101", "cursor=forged", "company_id[$ne]=x"):
        async with http.get(f"{gateway.url}/v1/contacts?{bad}", headers=auth(key)) as resp:
            body = await resp.json()
        assert resp.status == 422 or (bad.startswith("company_id[") and resp.status == 200), bad
        if resp.status == 200:
            assert len(body["data"]) == len(names)  # the operator was ignored, not applied
