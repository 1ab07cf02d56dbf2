"""connect-api.txt's providers (`/connect/v1/providers`, `/connect/v1/providers/:type`) from manifests."""

from __future__ import annotations

from connections.catalogue.facts import auth_type, connector_type, credential_fields
from connections.catalogue.manifest import ApiKeyAuth, Auth, BasicAuth, Manifest, Stream, Trigger, Webhooks
from connections.presenters.common import credential_view
from connections_contracts.catalogue import (
    ActionView,
    AuthView,
    Capabilities,
    PaginationView,
    ProviderDetail,
    ProviderSummary,
    RateLimitView,
    StreamView,
    TestRequestView,
    TriggerView,
    WebhooksView,
)


def _capabilities(m: Manifest) -> Capabilities:
    return Capabilities(streams=[s.name for s in m.streams], actions=[a.name for a in m.actions],
                        triggers=[t.name for t in m.triggers],
                        webhook_events=list(m.webhooks.events) if m.webhooks else [])


def _summary_fields(m: Manifest) -> dict[str, object]:
    return {"type": m.type, "name": m.name, "description": m.description, "categories": list(m.categories),
            "auth_type": auth_type(m), "docs_url": str(m.docs_url), "capabilities": _capabilities(m)}


def provider_summary(m: Manifest) -> ProviderSummary:
    """A provider in the list: its metadata and capabilities (by name)."""
    return ProviderSummary.model_validate(_summary_fields(m))


def _auth(auth: Auth) -> AuthView:
    if isinstance(auth, ApiKeyAuth):
        return AuthView(kind=auth.kind, location=auth.location, parameter=auth.name)
    if isinstance(auth, BasicAuth):
        return AuthView(kind=auth.kind, location="basic")
    return AuthView(kind=auth.kind, authorize_url=str(auth.authorize_url) if auth.authorize_url else None,
                    token_url=str(auth.token_url), revoke_url=str(auth.revoke_url) if auth.revoke_url else None,
                    scopes=list(auth.default_scopes), pkce=auth.pkce, refresh=auth.refresh)


def _stream(s: Stream) -> StreamView:
    paging = s.pagination
    return StreamView(name=s.name, path=s.path, primary_key=s.primary_key, cursor_field=s.cursor_field,
                      incremental=s.cursor_field is not None, description=s.description, records_path=s.records_path,
                      pagination=None if paging is None else PaginationView(
                          style=paging.style, page_size=paging.page_size, param=paging.param,
                          size_param=paging.size_param, token_path=paging.token_path, start_from=paging.start_from))


def _trigger(t: Trigger) -> TriggerView:
    return TriggerView(name=t.name, label=t.label, kind=t.kind, event=t.event, stream=t.stream)


def _webhooks(w: Webhooks | None) -> WebhooksView | None:
    if w is None:
        return None
    return WebhooksView(events=list(w.events), signing=w.signing.scheme, signature_header=w.signing.header,
                        subscribe=w.subscribe)


def provider_detail(m: Manifest) -> ProviderDetail:
    """One provider: the summary plus how it authenticates, its credential fields, limits and capabilities."""
    return ProviderDetail.model_validate({
        **_summary_fields(m),
        "api_base_url": str(m.api_base_url), "connector_type": connector_type(m),
        "connector_family": m.connector_type, "auth": _auth(m.auth),
        "credentials": [credential_view(f) for f in credential_fields(m)],
        "test_request": TestRequestView(method=m.test.method, path=m.test.path, expect_status=m.test.expect_status)
        if m.test else None,
        "rate_limit": RateLimitView(requests=m.rate_limit.requests, per_seconds=m.rate_limit.per_seconds,
                                    scope=m.rate_limit.scope) if m.rate_limit else None,
        "streams": [_stream(s) for s in m.streams],
        "actions": [ActionView(name=a.name, label=a.label, method=a.method, path=a.path, input_schema=a.input_schema,
                               description=a.description) for a in m.actions],
        "triggers": [_trigger(t) for t in m.triggers],
        "webhooks": _webhooks(m.webhooks),
    })
