"""What the sync service needs to run one connection's source, at run time only: the provider's manifest facts,
where its source program comes from, and the config with the opened credentials.

Only a SERVICE principal of the connection's own workspace gets it (the sync service's signed peer call); the
answer is never logged or stored here, and the sync service keeps it in memory for the run (its connector
runtime writes it to a 0600 file for the source's lifetime only).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from connections.app.operations import Connections
from connections.app.tenant_integrations import TenantIntegrations
from connections.catalogue.index import Catalogue
from connections.catalogue.manifest import Manifest
from connections_contracts import connection as cx
from connections_contracts import tenant_integrations as ti
from junction_common.identity import Principal
from junction_common.logconfig import get_logger
from junction_common.web.envelope import ApiError
from junction_common.web.peers import SERVICE_ROLE

log = get_logger(__name__)
Doc = dict[str, Any]


def source_program(catalogue: Catalogue, manifest: Manifest) -> Doc:
    """`streams` (a low-code manifest the sync runtime builds from the provider's streams), a full low-code
    manifest file beside the provider's YAML (`declarative`), or a PyPI Airbyte source (`pypi`)."""
    source = manifest.source
    if source is None:
        return {"kind": "streams"}
    if source.pypi is not None:
        return {"kind": "pypi", "package": source.pypi, "version": source.version}
    folder = catalogue.sources.get(manifest.type, Path(".")).parent
    path = folder / str(source.manifest)
    if not path.is_file():
        raise ApiError("VALIDATION_ERROR", "The provider's source manifest file is missing.",
                       {"provider": manifest.type})
    return {"kind": "declarative", "manifest": yaml.safe_load(path.read_text())}


async def run_source(catalogue: Catalogue, connections: Connections, principal: Principal,
                     connection_id: str) -> Doc:
    """The connection's source and config with its credentials (a SERVICE caller of its workspace only)."""
    if principal.role != SERVICE_ROLE:
        raise ApiError("FORBIDDEN", "Only a Junction service may read a connection's source.")
    if connection_id.startswith(ti.ID_PREFIX):
        return await integration_source(catalogue, TenantIntegrations(connections), principal, connection_id)
    doc = await connections.find(principal.workspace_id, connection_id)
    manifest = catalogue.get(doc["provider"]) if doc.get("provider") else None
    if manifest is None:
        raise ApiError("VALIDATION_ERROR", "The connection has no provider to sync from.", {"id": connection_id})
    if doc.get("status") == cx.DISCONNECTED:
        raise ApiError("VALIDATION_ERROR", "The connection is disconnected: connect it again to sync.",
                       {"id": connection_id, "status": cx.DISCONNECTED})
    config = {**_settings_of(doc), **connections.open(doc)}
    log.info("run_source_served", connection_id=connection_id, provider=manifest.type)
    return {"connection_id": connection_id, "provider": manifest.model_dump(mode="json", exclude_none=True),
            "source": source_program(catalogue, manifest), "config": config}


async def integration_source(catalogue: Catalogue, integrations: TenantIntegrations, principal: Principal,
                             integration_id: str) -> Doc:
    """A tenant integration's source: its service's provider, config from its settings with the sealed ones opened
    (a SERVICE caller of its workspace only; another workspace's is not found)."""
    doc = await integrations.find(principal.workspace_id, integration_id)
    manifest = catalogue.get(doc["service"]) if doc.get("service") else None
    if manifest is None:
        raise ApiError("VALIDATION_ERROR", "The integration has no provider to sync from.", {"id": integration_id})
    config = {**(doc.get("settings") or {}), **integrations.open(doc)}
    log.info("run_source_served", integration_id=integration_id, provider=manifest.type)
    return {"connection_id": integration_id, "provider": manifest.model_dump(mode="json", exclude_none=True),
            "source": source_program(catalogue, manifest), "config": config}


def _settings_of(doc: Doc) -> Doc:
    """The connection's own non-secret config a source may read (host, region...), minus Junction's own keys."""
    own = {"createOwnTables", "variantGroupId", "variantLabel", "provider"}
    return {k: v for k, v in (doc.get("config") or {}).items() if k not in own}
