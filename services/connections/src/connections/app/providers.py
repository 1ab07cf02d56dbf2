"""Which provider a request names, and what a key connection needs from it.

pipelines-api's `type` is a connector family (`CRM_PLATFORM`, several providers) or one provider's own connector
type (its type in capitals, `HUBSPOT`, as /api/pipelines/connector-types lists it). The provider is, in order:
1. the one `provider` (or `config.provider`) names, which must belong to that `type`;
2. the one whose connector type `type` is;
3. the family's first complete provider that takes a key (API key or basic auth), then its first complete one:
   operator folders' providers (JUNCTION_PROVIDER_DIRS) before the built-in ones, each by type. An operator who
   adds a provider to a family makes it that family's default.
"""

from __future__ import annotations

from typing import Any

from connections.catalogue.facts import connector_type, required_credential_fields
from connections.catalogue.index import Catalogue
from connections.catalogue.loader import BUILTIN_DIR
from connections.catalogue.manifest import Manifest, OAuth2Auth
from junction_common.web.envelope import ApiError


def _invalid(message: str, pointer: str, **details: Any) -> ApiError:
    return ApiError("VALIDATION_ERROR", message, {"pointer": pointer, **details})


def _rank(catalogue: Catalogue, m: Manifest) -> tuple[bool, bool, bool, str]:
    source = catalogue.sources.get(m.type)
    builtin = m.type not in catalogue.custom and (source is None or source.parent.resolve() == BUILTIN_DIR.resolve())
    return (not m.complete, isinstance(m.auth, OAuth2Auth), builtin, m.type)


def for_pipelines(catalogue: Catalogue, kind: str, provider: str | None) -> Manifest:
    """The provider a pipelines connection of `kind` (family or connector type) is made with."""
    if provider:
        named = catalogue.get(provider.lower())
        if named is None:
            raise _invalid("No provider of that type exists.", "/provider", provider=provider)
        if kind not in (connector_type(named), named.connector_type):
            raise _invalid(f"The provider {named.type} is not a {kind} connector.", "/type", type=kind)
        return named
    own = catalogue.get(kind.lower())
    if own is not None and connector_type(own) == kind:
        return own
    family = [m for m in catalogue.manifests if m.connector_type == kind]
    if not family:
        raise _invalid("Unknown connector type: see GET /api/pipelines/connector-types.", "/type", type=kind)
    return min(family, key=lambda m: _rank(catalogue, m))


def takes_key(manifest: Manifest, credentials: dict[str, str], pointer: str = "/credentials") -> None:
    """A key connection needs a provider connected with a key and every required credential field."""
    if isinstance(manifest.auth, OAuth2Auth):
        raise _invalid(f"{manifest.type} is connected through OAuth: use its authorize flow.", pointer,
                       provider=manifest.type, auth_type=manifest.auth.kind)
    missing = [f.name for f in required_credential_fields(manifest) if not credentials.get(f.name)]
    if missing:
        raise _invalid("Credential fields are missing.", pointer, missing=missing)


def provider_of(catalogue: Catalogue, provider_type: str) -> Manifest:
    manifest = catalogue.get(provider_type)
    if manifest is None:
        raise ApiError("NOT_FOUND", "Provider not found.", {"type": provider_type})
    return manifest
