"""Custom providers: a workspace admin's private provider manifests (operations of Junction's own, beyond the
references: POST/GET /connect/v1/custom-providers, GET/PUT/DELETE /connect/v1/custom-providers/{type}).

A custom provider is a manifest in the body, validated by the service exactly as a built-in one is (the
catalogue's manifest model); its type may not take a built-in's or an operator folder's. Once registered, that
workspace (and only it) finds it wherever a provider is looked up. A manifest holds no secret (definitions only).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

AGGREGATE = "custom_provider"
COLLECTION = "custom_providers"  # the read model (projection) of the custom provider aggregate

REGISTER = "custom_provider.register"
REPLACE = "custom_provider.replace"
DELETE = "custom_provider.delete"
COMMANDS = (REGISTER, REPLACE, DELETE)

TYPE_PATTERN = r"^[a-z][a-z0-9_]{1,62}$"  # as a built-in manifest's


def stream_id(workspace_id: str, provider_type: str) -> str:
    """One stream per workspace and type: registering a type twice is refused by the stream itself."""
    return f"cprov_{workspace_id}_{provider_type}"


class CustomProviderBody(BaseModel):
    """The manifest, as a provider's YAML file holds it (the service checks every field with the manifest model).
    On PUT, `type` may be left out: the path names it."""

    model_config = ConfigDict(extra="allow")

    type: str | None = Field(default=None, pattern=TYPE_PATTERN)
    name: str = Field(min_length=1, max_length=80)

    def manifest(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=False)

