"""Registering a subscription at the provider through its API (the manifest's `webhooks.registration`): the
request goes through the provider proxy (connections.app.proxy: the connection's credential injected by
connections.requests.build_request, OAuth tokens refreshed, the address policy, an audit row per call)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from connections.app.operations import Call
from connections.app.proxy import Proxy
from connections.catalogue.manifest import PLACEHOLDER, Manifest, WebhookRegistration
from connections.requests import expand_path
from connections_contracts.proxy import ProxyBody
from junction_common.logconfig import get_logger
from junction_common.web.envelope import ApiError

log = get_logger(__name__)


@dataclass(frozen=True)
class Registered:
    """The provider's id of the registration and, where it makes one, the signing secret (never logged)."""

    provider_webhook_id: str
    secret: str | None = None


def fill(template: Any, values: dict[str, Any]) -> Any:
    """The registration body with `{url}`, `{events}`, `{secret}` and field placeholders filled; a string that is
    exactly one placeholder takes the value as it is (a list for `{events}`)."""
    if isinstance(template, dict):
        return {k: fill(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [fill(v, values) for v in template]
    if not isinstance(template, str):
        return template
    whole = PLACEHOLDER.fullmatch(template)
    if whole and whole.group(1) in values:
        return values[whole.group(1)]
    return PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), template)


def _form(body: dict[str, Any]) -> str:
    """A form body: a list value as `name[]=a&name[]=b` (Stripe's `enabled_events[]`)."""
    pairs: list[tuple[str, str]] = []
    for name, value in body.items():
        if isinstance(value, list):
            pairs += [(name if name.endswith("[]") else f"{name}[]", str(v)) for v in value]
        else:
            pairs.append((name, str(value)))
    return urlencode(pairs)


def _at(body: Any, path: str) -> Any:
    for part in path.split("."):
        body = body.get(part) if isinstance(body, dict) else None
    return body


def request_of(reg: WebhookRegistration, values: dict[str, Any]) -> ProxyBody:
    """The proxy call that registers the subscription."""
    path = expand_path(reg.path, {k: str(v) for k, v in values.items() if isinstance(v, str)})
    body = fill(reg.body, values)
    if reg.encoding == "form":
        return ProxyBody(method=reg.method, path=path, body=_form(body),
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    return ProxyBody(method=reg.method, path=path, body=body)


async def register(proxy: Proxy, call: Call, manifest: Manifest, values: dict[str, Any]) -> Registered:
    """Register at the provider; an ApiError (502 PROVIDER_REJECTED) when it refuses."""
    assert manifest.webhooks is not None and manifest.webhooks.registration is not None
    reg = manifest.webhooks.registration
    answer = await proxy.call(call, manifest.type, request_of(reg, values))
    _refused(manifest, answer, "register")
    body = answer["body"] if isinstance(answer["body"], dict) else _json(answer["body"])
    hook_id, secret = _at(body, reg.id_path), _at(body, reg.secret_path) if reg.secret_path else None
    if not isinstance(hook_id, str | int):
        raise ApiError("PROVIDER_REJECTED", "The provider's answer holds no registration id.",
                       {"provider": manifest.type, "id_path": reg.id_path}, status=502)
    log.info("provider_webhook_registered", provider=manifest.type, provider_webhook_id=str(hook_id))
    return Registered(str(hook_id), secret if isinstance(secret, str) else None)


async def unregister(proxy: Proxy, call: Call, manifest: Manifest, values: dict[str, Any]) -> None:
    """Remove the registration at the provider; one it no longer has (404, 410) is gone already."""
    assert manifest.webhooks is not None and manifest.webhooks.registration is not None
    reg = manifest.webhooks.registration
    path = expand_path(reg.delete_path, {k: str(v) for k, v in values.items() if isinstance(v, str)})
    answer = await proxy.call(call, manifest.type, ProxyBody(method=reg.delete_method, path=path))
    if answer["status"] not in (404, 410):
        _refused(manifest, answer, "unregister")
    log.info("provider_webhook_unregistered", provider=manifest.type, status=answer["status"])


def _refused(manifest: Manifest, answer: dict[str, Any], what: str) -> None:
    if not 200 <= answer["status"] < 300:
        log.info("provider_webhook_registration_refused", provider=manifest.type, action=what,
                 status=answer["status"])
        raise ApiError("PROVIDER_REJECTED", f"The provider refused to {what} the webhook (status "
                       f"{answer['status']}).", {"provider": manifest.type, "status": answer["status"]}, status=502)


def _json(text: Any) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None
