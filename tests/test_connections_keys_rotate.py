"""`junction keys rotate` on the real stack: connections sealed under vault key k1 (an API-key connection and an
OAuth one, each with its webhook token), the service restarted with k1 and k2 (k2 active: old secrets still open),
a rotation through the connections service's internal route (the CLI's call, signed as a SERVICE principal of
every workspace), then the service restarted with k2 alone: every connection still works, its webhook URL is
the same, and a second rotation finds nothing to do."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from connections.projections.connections import apply_connection
from connections_contracts import connection as cx
from junction_common.cli.keys_cmd import rotate_keys
from junction_common.cli.main import main as cli_main
from junction_common.envelope import EventEnvelope
from junction_common.service import ServiceRuntime
from tests.connections_stack import DOCUMENTED_KEY, OAUTH_TYPE, Edge, oauth_authorized, oauth_connections_edge

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
K1 = "k1:" + base64.b64encode(b"k" * 32).decode()
K2 = "k2:" + base64.b64encode(b"K" * 32).decode()
CONNECTIONS = "/api/pipelines/connections"


async def api_key_connection(edge: Edge) -> str:
    body = {"name": "CRM", "type": "CRM_PLATFORM", "credentials": {"apiKey": DOCUMENTED_KEY}}
    status, answer, _ = await edge.call("POST", CONNECTIONS, body)
    assert status == 201, answer
    return str(answer["connection"]["id"])


async def webhook_url(edge: Edge, connection_id: str) -> str:
    status, body, _ = await edge.call("POST", f"{CONNECTIONS}/{connection_id}/webhook-url")
    assert status == 200, body
    return str(body["webhookUrl"])


async def usable(edge: Edge, api_key_ids: list[str]) -> None:
    """Every API-key connection passes its check; the OAuth connection's tokens open and work through the proxy."""
    for connection_id in api_key_ids:
        status, body, _ = await edge.call("POST", f"{CONNECTIONS}/{connection_id}/check")
        assert status == 200 and body["connection"]["status"] == cx.CONNECTED, body
    status, body, _ = await edge.call("POST", f"/connect/v1/proxy/{OAUTH_TYPE}", {"method": "GET", "path": "/me"})
    assert status == 200 and body["data"]["status"] == 200, body


async def kids(service: ServiceRuntime) -> set[str]:
    docs = await service.db[cx.COLLECTION].find({}).to_list()
    return {d[f]["kid"] for d in docs for f in ("credentials_sealed", "webhook_token_sealed") if d.get(f)}


async def replayed_alike(service: ServiceRuntime) -> None:
    """Folding each connection's stored events from scratch gives its read model, rotated wrapping included."""
    commits = await service.db["event_commits"].find({}).to_list()
    events = sorted((EventEnvelope.model_validate(e) for c in commits for e in c["events"]),
                    key=lambda e: (e.stream_id, e.version))
    for doc in await service.db[cx.COLLECTION].find({}).to_list():
        folded: dict[str, Any] | None = None
        for event in (e for e in events if e.stream_id == doc["_id"]):
            folded = apply_connection(folded, event)
        assert folded is not None
        assert {k: v for k, v in doc.items() if not k.startswith("_")} == folded


@pytest.fixture
async def edge(tmp_path: Path) -> AsyncIterator[Edge]:
    async with oauth_connections_edge(tmp_path, {DOCUMENTED_KEY}, vault_keys=K1, vault_active_key="k1") as running:
        yield running


async def test_rotate_then_remove_the_old_key_and_every_connection_still_works(
        edge: Edge, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    old = [await api_key_connection(edge)]
    await oauth_authorized(edge)
    urls = {connection_id: await webhook_url(edge, connection_id) for connection_id in old}
    assert await kids(edge.service) == {"k1"}

    await edge.restart(vault_keys=f"{K1},{K2}", vault_active_key="k2")  # both keys: nothing stops working
    await usable(edge, old)
    new = await api_key_connection(edge)  # sealed under k2 already
    assert await kids(edge.service) == {"k1", "k2"}

    report = await rotate_keys(edge.stack.connections)
    assert report["connections"]["active_key"] == "k2" and report["connections"]["failed"] == []
    assert report["connections"]["rotated"] == 2 and report["connections"]["current"] == 1, report
    assert await kids(edge.service) == {"k2"}
    await replayed_alike(edge.service)

    await edge.restart(vault_keys=K2, vault_active_key="k2")  # the old key is gone
    await usable(edge, [*old, new])
    for connection_id, url in urls.items():
        assert await webhook_url(edge, connection_id) == url

    # The operator's command itself: nothing left to rotate.
    settings = edge.stack.connections
    monkeypatch.setenv("JUNCTION_SERVICE_URLS", json.dumps(settings.service_urls))
    monkeypatch.setenv("JUNCTION_INTERNAL_SECRET", settings.internal_secret)
    with pytest.raises(SystemExit) as exited:
        await asyncio.to_thread(cli_main, ["keys", "rotate", "--service", "connections"])  # no webhooks here
    assert exited.value.code == 0
    out = capsys.readouterr().out
    printed, _ = json.JSONDecoder().raw_decode(out[out.rindex('{\n  "connections"'):])
    assert printed["connections"]["rotated"] == 0 and printed["connections"]["current"] == 3, printed
