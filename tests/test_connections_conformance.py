"""Every operation of the references the connections service serves, replayed through the real gateway on a fresh
workspace: each documented request example as documented (every named example of an operation), the others with
the parameters their reference describes; each answer is a 2xx in its reference's shape (the `/v1` and
`/connect/v1` envelope, pipelines-api's own `{"success": true, ...}`) holding every field of its documented
response example.

The operations come from the gateway's catalogue (service `connections`) and what the contract package serves
(`connections_contracts.routes.SERVED`): an operation that is served must be in PLAN and replayed, so the test grows
as operations land; one not served yet (501) is left out. Providers are local simulators (tests/connections_stack):
the CRM_PLATFORM simulator accepting the references' example key, and the OAuth 2.0 simulator.

Ids the references invent (`clxyz...`, `authorization-code-from-redirect`) become the ids of objects made first
(`REFERENCES`); every other value goes as documented.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
import pytest_asyncio

from gateway.catalogue import Operation, load_operations
from junction_common.contracts.operations import served_operations
from junction_common.envelope import utcnow
from junction_common.identity import IdentityStore
from junction_common.mongo import create_client
from junction_common.workspaces import create_workspace
from tests.connections_stack import DOCUMENTED_KEY, OAUTH_TYPE, PUBLIC_BASE_URL, SIM_TYPE, Edge, oauth_connections_edge

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

SERVICE = "connections"
SLACK_SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
# Literal ids of the references' request examples -> the key under which the replay keeps the real one.
REFERENCES = {"clxyz...": "oauth_connection", "authorization-code-from-redirect": "oauth_code"}
EGRESS_HOSTS = "127.0.0.1"  # where the simulators listen


def served_catalogue() -> dict[str, Operation]:
    """The catalogue's operations of the connections service that a contract package serves today."""
    served = served_operations()
    return {op.operation_id: op for op in load_operations()
            if op.service == SERVICE and served.get(op.operation_id) is not None
            and served[op.operation_id].service == SERVICE}


def examples(op: Operation) -> dict[str, Any]:
    """Every documented request example of the operation, by name (the primary one under its seed's name)."""
    named = {op.seed: op.request_example} if op.request_example is not None else {}
    return {**named, **dict(op.extra_request_examples)}


def substitute(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: substitute(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, ids) for v in value]
    if isinstance(value, str) and value in REFERENCES:
        return ids[REFERENCES[value]]
    return value


@dataclass
class Result:
    operation_id: str
    example: str
    request: str
    status: int
    body: Any
    problems: list[str]

    def report(self) -> str:
        return (f"{self.operation_id} [{self.example}]: {'; '.join(self.problems)}\n    {self.request}\n"
                f"    -> {self.status} {json.dumps(self.body, default=str)[:600]}")


def problems(op: Operation, status: int, body: Any) -> list[str]:
    """Why an answer does not conform: not 2xx, not its reference's shape, a documented field missing."""
    if not 200 <= status < 300:
        return [f"status {status}"]
    documented = op.response_example if isinstance(op.response_example, dict) else {}
    if op.path.startswith("/api/pipelines"):  # its own shapes: `success` where it says so, never false
        if not isinstance(body, dict) or body.get("success", True) is not True:
            return [f"not a success body: {body!r}"[:200]]
        absent = sorted(set(documented) - set(body))
        return [f"lacks documented field(s) {absent}"] if absent else []
    if not isinstance(body, dict) or body.get("success") is not True:
        return [f"not a success body: {body!r}"[:200]]
    found = [f"envelope lacks {k!r}" for k in ("data", "request_id") if k not in body]
    if op.operation_id.startswith("list") or op.operation_id == "searchIntegrations":
        if "next_cursor" not in body or not isinstance(body.get("data"), list):
            found.append("not a list envelope (data list, next_cursor)")
    doc_data = documented.get("data")
    if isinstance(doc_data, dict) and isinstance(body.get("data"), dict):
        found += [f"data lacks {sorted(set(doc_data) - set(body['data']))}"] if set(doc_data) - set(body["data"]) \
            else []
    return found


@dataclass
class Replay:
    edge: Edge
    key: str
    ops: dict[str, Operation]
    ids: dict[str, str] = field(default_factory=dict)
    results: list[Result] = field(default_factory=list)

    async def send(self, method: str, path: str, body: Any = None, auth: bool = True) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.key}"} if auth else {}
        kwargs: dict[str, Any] = {"headers": headers} | ({"json": body} if body is not None else {})
        async with self.edge.http.request(method, self.edge.url + path, **kwargs) as resp:
            text = await resp.text()
            try:
                return resp.status, json.loads(text) if text else None
            except ValueError:
                return resp.status, text

    async def replay(self, operation_id: str, params: dict[str, str] | None = None, body: Any = None,
                     query: str = "") -> Any:
        """Send each documented example (else `body`) to the operation's path; record one Result each. Returns the
        last answer's body."""
        op = self.ops.get(operation_id)
        if op is None:
            return None  # not served yet: it still answers 501, nothing to replay
        path = op.path
        for name, value in (params or {}).items():
            path = path.replace("{" + name + "}", value)
        path += f"?{query}" if query else ""
        bodies = {n: substitute(b, self.ids) for n, b in examples(op).items()} or {"(undocumented)": body}
        answer: Any = None
        for name, sent in bodies.items():
            status, answer = await self.send(op.method, path, sent, auth=op.requires_api_key)
            self.results.append(Result(operation_id, name, f"{op.method} {path} {json.dumps(sent)}", status, answer,
                                       problems(op, status, answer)))
        return answer


async def admin_key(edge: Edge) -> str:
    """An OWNER key with every scope, of a fresh workspace."""
    settings = edge.stack.gateway
    workspace, _ = await create_workspace(settings, "Conformance", "business")
    client = create_client(settings)
    try:
        store = IdentityStore(client[settings.db_name("identity")], settings.signing_secret)
        return await store.create_key(workspace["_id"], "conformance", "OWNER", ["*"], utcnow())
    finally:
        await client.close()


async def consent(r: Replay) -> str:
    """An OAuth authorization with the operator's app, consented at the simulator: the callback's path and query."""
    status, started = await r.send("POST", f"/api/pipelines/oauth/{OAUTH_TYPE}/authorize",
                                   {"connectionName": "Conformance OAuth"})
    assert status == 200, started
    query = {k: v[0] for k, v in parse_qs(urlsplit(started["authorizeUrl"]).query).items()}
    assert r.edge.oauth is not None
    async with r.edge.http.get(r.edge.oauth.authorize_url, params=query, allow_redirects=False) as resp:
        assert resp.status == 302, await resp.text()
        location = resp.headers["Location"]
    r.ids["oauth_connection"] = started["connectionId"]
    r.ids["oauth_code"] = parse_qs(urlsplit(location).query)["code"][0]
    return location.removeprefix(PUBLIC_BASE_URL)


def data_id(answer: Any, *keys: str) -> str:
    """The id inside an answer (`data.id`, `connection.id`, `integration.id`, or top-level `id`)."""
    if not isinstance(answer, dict):
        return "missing_id"
    for key in keys:
        inner = answer.get(key)
        if isinstance(inner, dict) and "id" in inner:
            return str(inner["id"])
    return str(answer.get("id", "missing_id"))


async def catalogue_and_connections(r: Replay) -> None:
    await r.replay("listProviders")
    await r.replay("getProvider", {"type": SIM_TYPE})
    await r.replay("listConnectorTypes")
    await r.replay("listAvailableIntegrations")
    await r.replay("searchIntegrations", query="q=crm")
    await r.replay("testPipelineConnection")
    made = await r.replay("createPipelineConnection")
    conn = {"id": data_id(made, "connection", "data")}
    await r.replay("getPipelineConnection", conn)
    await r.replay("updatePipelineConnection", conn)
    await r.replay("listPipelineConnections", query="limit=10&offset=0")
    await r.replay("checkPipelineConnection", conn)
    await r.replay("createPipelineConnectionVariant", conn)
    await r.replay("revealPipelineWebhookUrl", conn)
    await r.replay("connectProvider", {"type": SIM_TYPE}, {"credentials": {"apiKey": DOCUMENTED_KEY}})
    await r.replay("getProviderConnectionStatus", {"type": SIM_TYPE})
    await r.replay("proxyProviderApiCall", {"providerType": SIM_TYPE}, {"method": "GET", "path": "/me"})
    r.ids["pipelines_connection"] = conn["id"]


async def provider_webhooks(r: Replay) -> None:
    """Slack is subscribed by hand (its console takes the URL): its signing secret is given."""
    made = await r.replay("createProviderWebhookSubscription", {"type": "slack"},
                          {"url": "https://example.com/hooks", "events": ["message"],
                           "signingSecret": SLACK_SIGNING_SECRET})
    await r.replay("listProviderWebhookSubscriptions", {"type": "slack"})
    await r.replay("deleteProviderWebhookSubscription", {"type": "slack", "id": data_id(made, "data")})


async def oauth(r: Replay) -> None:
    await r.replay("authorizePipelineOAuth", {"connector": OAUTH_TYPE})
    if "exchangePipelineOAuthCode" in r.ops:
        await consent(r)
        await r.replay("exchangePipelineOAuthCode", {"connector": OAUTH_TYPE})
    if "handlePipelineOAuthCallback" in r.ops:
        callback = await consent(r)
        query = callback.partition("?")[2]
        await r.replay("handlePipelineOAuthCallback", {"connector": OAUTH_TYPE}, query=query)


async def credentials_and_integrations(r: Replay) -> None:
    made = await r.replay("createCredential")
    await r.replay("listCredentials")
    await r.replay("deleteCredential", {"id": data_id(made, "data")})
    integration = await r.replay("createIntegration")
    ref = {"integrationId": data_id(integration, "data", "integration")}
    await r.replay("listIntegrations")
    await r.replay("getIntegration", ref)
    await r.replay("updateIntegration", ref)
    await r.replay("regenerateIntegrationKey", ref)
    tested = await r.replay("testIntegration", {"id": ref["integrationId"]})
    if tested is not None:  # the documented Klaviyo settings: refused by the egress allow-list, nothing sent
        assert "a.klaviyo.com is not among the hosts" in str(tested["data"].get("message")), tested
    await r.replay("deleteIntegration", ref)


async def endings(r: Replay) -> None:
    await r.replay("disconnectProvider", {"type": SIM_TYPE})
    await r.replay("deletePipelineConnection", {"id": r.ids.get("pipelines_connection", "missing_id")})


PLAN: list[Callable[[Replay], Awaitable[None]]] = [catalogue_and_connections, provider_webhooks, oauth,
                                                   credentials_and_integrations, endings]


@pytest_asyncio.fixture(scope="module")
async def edge(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Edge]:
    # The operator's egress allow-list keeps every provider call on the local simulators: the documented Klaviyo
    # integration's test is refused before any lookup of a.klaviyo.com (the run is offline).
    async with oauth_connections_edge(Path(tmp_path_factory.mktemp("conformance")), {DOCUMENTED_KEY},
                                      provider_egress_hosts=EGRESS_HOSTS) as running:
        yield running


async def test_every_served_operation_replays_its_documented_examples(edge: Edge) -> None:
    ops = served_catalogue()
    r = Replay(edge, await admin_key(edge), ops)
    for step in PLAN:
        await step(r)
    replayed = {res.operation_id for res in r.results}
    assert replayed == set(ops), f"served but not replayed (add them to PLAN): {sorted(set(ops) - replayed)}"
    documented = {(op.operation_id, name) for op in ops.values() for name in examples(op)}
    sent = {(res.operation_id, res.example) for res in r.results}
    assert documented <= sent, f"documented examples not sent: {sorted(documented - sent)}"
    failures = [res.report() for res in r.results if res.problems]
    assert not failures, f"{len(failures)} replay(s) disagree with their reference:\n" + "\n".join(failures)


async def test_an_operation_not_served_yet_answers_501(edge: Edge) -> None:
    """What the catalogue gives connections and no contract serves still answers 501 (never a fake success)."""
    served = served_catalogue()
    pending = [op for op in load_operations() if op.service == SERVICE and op.operation_id not in served]
    key = await admin_key(edge)
    async with aiohttp.ClientSession() as http:
        for op in pending:
            path = op.path.replace("{", "x").replace("}", "")
            async with http.request(op.method, edge.url + path, headers={"Authorization": f"Bearer {key}"}) as resp:
                assert resp.status == 501, (op.operation_id, resp.status)
