"""Object-level authorization: an id from another workspace is 404, never 403 and never the object."""

from __future__ import annotations

import pytest

from conftest import create_workspace
from tests.api import call

pytestmark = pytest.mark.integration


async def test_every_resource_type_hides_other_workspaces(gateway, crm_service, workspace, http):
    _, a = workspace
    _, b = await create_workspace(gateway.settings, "Other", "business")
    base = gateway.url
    await call(http, "POST", f"{base}/v1/deal-stages", a, {"key": "open", "name": "Open", "position": 1})
    _, deal = await call(http, "POST", f"{base}/v1/deals", a, {"name": "Secret deal", "stage": "open"})
    _, ticket = await call(http, "POST", f"{base}/v1/support/tickets", a, {"subject": "Secret ticket"})
    _, lead = await call(http, "POST", f"{base}/v1/leads", a, {"name": "Secret lead"})
    _, task = await call(http, "POST", f"{base}/v1/tasks", a, {"title": "Secret task"})
    _, asset = await call(http, "POST", f"{base}/v1/assets", a,
                          {"asset_type": "document", "file_name": "secret.pdf", "mime_type": "application/pdf"})
    _, col = await call(http, "POST", f"{base}/v1/cms/collections", a, {"name": "C", "key": "c"})
    _, entry = await call(http, "POST", f"{base}/v1/cms/entries", a,
                          {"collection_id": col["data"]["id"], "title": "Secret entry"})
    attempts = [
        ("PATCH", f"/v1/deals/{deal['data']['id']}", {"name": "mine now"}),
        ("PATCH", f"/v1/support/tickets/{ticket['data']['id']}", {"subject": "mine now"}),
        ("PATCH", f"/v1/tasks/{task['data']['id']}", {"title": "mine now"}),
        ("PATCH", f"/v1/cms/entries/{entry['data']['id']}", {"title": "mine now"}),
        ("POST", f"/v1/leads/{lead['data']['id']}/convert", {}),
        ("GET", f"/v1/assets/{asset['data']['id']}", None),
        ("DELETE", f"/v1/assets/{asset['data']['id']}", None),
        ("POST", f"/v1/assets/{asset['data']['id']}/complete", {"byte_size": 1, "checksum_sha256": "0" * 64}),
    ]
    for method, path, body in attempts:
        status, answer = await call(http, method, f"{base}{path}", b, body)
        assert status == 404 and answer["error"]["code"] == "NOT_FOUND", (method, path, answer)
        assert "Secret" not in str(answer)
    for path in ("/v1/deals", "/v1/support/tickets", "/v1/leads", "/v1/tasks", "/v1/assets", "/v1/cms/entries"):
        status, listed = await call(http, "GET", f"{base}{path}", b)
        assert status in (200, 405) and (status == 405 or listed["data"] == []), path
    unchanged = await crm_service.db["deals"].find_one({"_id": deal["data"]["id"]})
    assert unchanged["name"] == "Secret deal"
