"""What goes in and what comes out of building a provider request."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


class RequestRefused(ValueError):
    """A request that would leave the provider's host, miss a credential or carry a value that cannot be sent.

    `reason` is a stable code (`bad_path`, `bad_value`, `missing_value`, `unknown_region`, `bad_header`,
    `host_changed`, `no_credential`); the message names fields and parts, never a secret value."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Credential:
    """A connection's values: its non-secret fields (subdomain, tenantId, region, an OAuth app's client_id), its
    secret fields (apiKey, password, developerToken) and, for OAuth, the access token. Secrets stay out of repr."""

    fields: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    access_token: str | None = field(default=None, repr=False)

    def value(self, name: str) -> str | None:
        """A field's value, secret or not; None when absent or empty."""
        found = self.fields.get(name) or self.secrets.get(name)
        return found or None


QueryValue = str | Sequence[str]


@dataclass(frozen=True)
class ProviderRequest:
    """A call relative to the provider's API: `path` starts with `/` and may carry a query string after `?`."""

    method: str
    path: str
    query: Mapping[str, QueryValue] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None


@dataclass(frozen=True)
class PreparedRequest:
    """What to send: the absolute URL (on the manifest's host), the headers (credential included, so keep it out
    of logs: `dropped_headers` and `host` are what an audit may record), the body unchanged."""

    method: str
    url: str
    headers: Mapping[str, str] = field(repr=False)
    body: bytes | None = field(default=None, repr=False)
    host: str = ""
    dropped_headers: tuple[str, ...] = ()
