"""What every reference derives from a manifest the same way: its pipelines connector type, its auth kind and the
credential fields a user supplies (definitions only: a manifest holds no secret)."""

from __future__ import annotations

from connections.catalogue.manifest import CredentialField, Manifest, OAuth2Auth

# What the OAuth flows take from the user besides the manifest's own fields (pipelines-api.txt: authorize's body).
OAUTH_CLIENT_FIELDS = (
    CredentialField(name="client_id", label="Client ID", secret=False),
    CredentialField(name="client_secret", label="Client secret"),
)


def connector_type(manifest: Manifest) -> str:
    """The provider's own connector type in pipelines-api.txt: its type in capitals (`HUBSPOT`), unique as types are.

    A manifest's `connector_type` is the documented family it belongs to (`CRM_PLATFORM`), shared by several."""
    return manifest.type.upper()


def auth_type(manifest: Manifest) -> str:
    return manifest.auth.kind


def credential_fields(manifest: Manifest) -> tuple[CredentialField, ...]:
    """The fields a connection of this provider asks the user for (an OAuth app's client id and secret first)."""
    if isinstance(manifest.auth, OAuth2Auth):
        return OAUTH_CLIENT_FIELDS + manifest.auth.fields
    return manifest.auth.fields


def required_credential_fields(manifest: Manifest) -> tuple[CredentialField, ...]:
    return tuple(f for f in credential_fields(manifest) if f.required)


def sync_events(manifest: Manifest) -> tuple[str, ...]:
    """The provider's event types a tenant integration can synchronize: its webhook events."""
    return manifest.webhooks.events if manifest.webhooks is not None else ()


def search_text(manifest: Manifest) -> str:
    return " ".join((manifest.type, manifest.type.replace("_", " "), manifest.name, manifest.description,
                     *manifest.categories)).lower()
