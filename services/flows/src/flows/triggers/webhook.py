"""The webhook trigger: `POST /connect/v1/flow-hooks/{token}` starts the token's flow with the request as its
trigger data `{body, query, headers}` and answers 202 with the execution id; a flow with a respond-to-webhook
step is waited for (up to `webhook_response_wait_s`) and its answer (status, body, safe headers) is the reply.

The token's subscription (and its opened secret) is cached per process for `HOOK_CACHE_S` (the token is looked
up once a second at most, not once a call); a delete through this process empties the cache at once, so only
another replica's delete is seen up to `HOOK_CACHE_S` late (a deleted flow starts nothing in any case; a key
rotation re-wraps the same secret, so a cached one stays right).

With a secret, the body must be signed: `X-Junction-Signature: sha256=<hex HMAC-SHA256 of the raw body>` (GitHub's
`X-Hub-Signature-256` is accepted too); an unsigned or wrongly signed call is refused (401) and starts nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from flows.engine.engine import Engine
from flows.engine.starts import Started, execution_id_for
from flows.engine.walk import Finished
from flows.triggers.starts import start_now
from flows.triggers.subscriptions import Subscriptions, token_hash
from flows_contracts import executions as ex
from junction_common.logconfig import get_logger
from junction_common.service import ServiceRuntime
from junction_common.web.envelope import ApiError

log = get_logger(__name__)
Doc = dict[str, Any]
SIGNATURE_HEADERS = ("x-junction-signature", "x-hub-signature-256")
# Request headers a flow sees (never a credential or the signature).
PASSED_HEADERS = ("content-type", "user-agent", "x-github-event", "x-event-type", "x-delivery-id")
MAX_BODY = 1_000_000
RESPOND = "respond_to_webhook"
ANSWER_HEADERS = ("content-type", "cache-control", "location")  # relayed by the gateway as they are
RELAY_PREFIX = "X-Junction-Relay-"  # any other answer header, for the gateway to unwrap (gateway.internal_client)
HEADER_NAME = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz")
HOOK_CACHE_S = 1.0  # how long a looked-up webhook subscription is reused by this process
Found = tuple[Doc | None, bytes | None]
Ending = asyncio.Future[Finished]
READ_MODEL_EVERY_S = 0.5  # while waiting on this engine's end of an execution, its read model is looked at too


class HookTokens:
    """The webhook subscriptions looked up by token hash, each with its opened secret, kept `HOOK_CACHE_S`;
    concurrent calls with one token share one lookup."""

    def __init__(self, subscriptions: Subscriptions) -> None:
        self.subscriptions = subscriptions
        self._held: dict[str, tuple[float, asyncio.Future[Found]]] = {}

    async def find(self, token: str) -> Found:
        """(the live webhook subscription of `token` or None, its secret or None)."""
        hashed, now = token_hash(token), time.monotonic()
        held = self._held.get(hashed)
        if held is None or now - held[0] >= HOOK_CACHE_S:
            if len(self._held) > 10_000:
                self._held.clear()
            held = self._held[hashed] = (now, asyncio.ensure_future(self._look_up(hashed)))
        try:
            return await asyncio.shield(held[1])
        except Exception:
            if self._held.get(hashed) is held:  # a failed lookup is not kept
                del self._held[hashed]
            raise

    async def _look_up(self, hashed: str) -> Found:
        doc = await self.subscriptions.docs.find_one({"token_hash": hashed})
        if doc is None or doc.get("status") != "active" or doc.get("kind") != "webhook":
            return None, None
        return doc, self.subscriptions.opened_secret(doc)

    def forget(self) -> None:
        """A trigger changed through this process: look every token up again."""
        self._held.clear()


def signed(secret: bytes, body: bytes, headers: Mapping[str, str]) -> bool:
    """Whether one of the signature headers carries the body's HMAC-SHA256 under `secret`."""
    expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
    for name in SIGNATURE_HEADERS:
        given = headers.get(name, "").strip().removeprefix("sha256=")
        if given and hmac.compare_digest(given.lower(), expected):
            return True
    return False


def trigger_data(body: bytes, query: Mapping[str, str], headers: Mapping[str, str]) -> Doc:
    """The request as the flow sees it: the body parsed as JSON when it is JSON, else as text."""
    try:
        parsed: Any = json.loads(body) if body else None
    except ValueError:
        parsed = body.decode(errors="replace")
    return {"body": parsed, "query": dict(query),
            "headers": {k: headers[k] for k in PASSED_HEADERS if k in headers}}


async def receive(hooks: HookTokens, token: str, body: bytes, query: Mapping[str, str],
                  headers: Mapping[str, str], request_id: str) -> tuple[Doc, Ending | None, Doc]:
    """Start the flow of the webhook subscription holding `token`: `{executionId, flowId, triggerId, status}`;
    when the graph it runs has a respond-to-webhook step (its answer is waited for), its end's future; and the
    headers the subscription's `config.responseHeaders` sets on its own (202) answer."""
    if len(body) > MAX_BODY:
        raise ApiError("VALIDATION_ERROR", "The webhook body is too large.", {"max_bytes": MAX_BODY}, status=413)
    doc, secret = await hooks.find(token)
    if doc is None:
        raise ApiError("NOT_FOUND", "Unknown webhook.", None)
    lowered = {k.lower(): v for k, v in headers.items()}
    if secret is not None and not signed(secret, body, lowered):
        log.warning("flow_webhook_signature_refused", trigger_id=doc["_id"], workspace_id=doc["workspace_id"])
        raise ApiError("UNAUTHORIZED", "The webhook signature is missing or does not match.", None)
    runtime, key = hooks.subscriptions.runtime, f"webhook:{doc['_id']}:{request_id}"
    engine, execution_id = runtime.component(Engine), execution_id_for(key)
    ended = engine.expect(execution_id)  # asked before it starts: it may end before start_now returns
    try:
        started = await start_now(runtime, doc["workspace_id"], doc["flow_id"], "webhook",
                                  trigger_data(body, query, lowered), doc["_id"], key)
    except BaseException:
        engine.forget(execution_id)
        raise
    waits = responds(started)
    if not waits:
        engine.forget(execution_id)
    summary, own_headers = started.summary, (doc.get("config") or {}).get("responseHeaders") or {}
    return ({"executionId": summary["execution_id"], "flowId": doc["flow_id"], "triggerId": doc["_id"],
             "status": summary["status"]}, ended if waits else None, own_headers)


def responds(started: Started) -> bool:
    """Whether the graph the execution runs (published, else the draft) has a respond-to-webhook step."""
    return any(n.get("type") == RESPOND for n in started.definition.get("nodes") or [])


async def flow_answer(runtime: ServiceRuntime, execution_id: str, wait_s: float, ended: Ending | None = None
                      ) -> Doc | None:
    """The execution's respond-to-webhook answer once it has ended (None when it ends without one or too late):
    from this engine's end of it at once when it runs here, else (taken over, cancelled) from its read model."""
    try:
        return await _answer(runtime, execution_id, time.monotonic() + wait_s, ended)
    finally:
        if ended is not None:
            runtime.component(Engine).forget(execution_id)


async def _answer(runtime: ServiceRuntime, execution_id: str, deadline: float, ended: Ending | None) -> Doc | None:
    while (left := deadline - time.monotonic()) > 0:
        if ended is not None:
            with contextlib.suppress(TimeoutError):
                outcome = await asyncio.wait_for(asyncio.shield(ended), min(left, READ_MODEL_EVERY_S))
                return outcome.response if outcome.status == ex.COMPLETED else None
        doc = await runtime.db[ex.COLLECTION].find_one({"_id": execution_id})
        if doc is not None and doc.get("status") in ex.TERMINAL:
            answer = doc.get("response")
            return answer if isinstance(answer, dict) else None
        if ended is None:
            await asyncio.sleep(0.05)
    return None


def answer_headers(headers: Any) -> dict[str, str]:
    """The headers a flow's answer sets, as the gateway relays them: content-type, cache-control and location as
    they are, any other one marked `X-Junction-Relay-<Name>` (the gateway unwraps it unless it owns that header:
    hop-by-hop, Set-Cookie, security and edge headers); never one spanning lines or with a bad name."""
    if not isinstance(headers, dict):
        return {}
    kept: dict[str, str] = {}
    for name, value in ((str(k), str(v)) for k, v in headers.items()):
        if not name or not set(name.lower()) <= HEADER_NAME or any(c in value for c in "\r\n\0"):
            continue
        kept[name if name.lower() in ANSWER_HEADERS else RELAY_PREFIX + name] = value
    return kept
