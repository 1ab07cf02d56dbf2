"""The catalogue a workspace sees: the built-in providers and the operators' folders (loaded at start), plus that
workspace's own custom providers (registered through the API, read from the `custom_providers` read model).

Every lookup of the service goes through one `WorkspaceCatalogue`: each internal call binds its workspace's
catalogue first (`bind`, a dependency of every internal route, from the caller or, on an OAuth callback, from
the signed state), and the lookups of that call read it. Outside a call (start-up, background work) it is the
base catalogue. Per workspace the merged catalogue is cached and rebuilt only when that workspace's custom
providers changed: each call reads their (type, version) pairs, a small indexed read, so a registration, a
replacement or a delete made through any replica is seen by the next call on every replica.
"""

from __future__ import annotations

from collections import OrderedDict
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from connections.catalogue.index import Catalogue
from connections.catalogue.manifest import Manifest
from connections_contracts import custom_providers as cp
from junction_common.logconfig import get_logger

log = get_logger(__name__)
Doc = dict[str, Any]
CACHED_WORKSPACES = 512
_BOUND: ContextVar[Catalogue | None] = ContextVar("connections_workspace_catalogue", default=None)


class WorkspaceCatalogue(Catalogue):
    """The base catalogue, or within a call the catalogue of the call's workspace."""

    def __init__(self, base: Catalogue) -> None:
        super().__init__(base.manifests, base.sources, base.custom)
        self.base = base
        self._cache: OrderedDict[str, tuple[tuple[tuple[str, int], ...], Catalogue]] = OrderedDict()

    @property
    def current(self) -> Catalogue:
        return _BOUND.get() or self.base

    @property
    def manifests(self) -> tuple[Manifest, ...]:
        return self.current.manifests

    @property
    def sources(self) -> dict[str, Path]:
        return self.current.sources

    @property
    def custom(self) -> frozenset[str]:
        return self.current.custom

    def get(self, provider_type: str) -> Manifest | None:
        return self.current.get(provider_type)

    async def bind(self, db: Any, workspace_id: str | None) -> Catalogue:
        """Make `workspace_id`'s catalogue the one this call's lookups read (the base one for no workspace)."""
        catalogue = await self.of(db, workspace_id) if workspace_id else self.base
        _BOUND.set(catalogue)
        return catalogue

    async def of(self, db: Any, workspace_id: str) -> Catalogue:
        """The base providers plus the workspace's live custom ones."""
        coll = db[cp.COLLECTION]
        heads = await coll.find({"workspace_id": workspace_id, "deleted": False}, {"_version": 1}).to_list()
        if not heads:
            return self.base
        fingerprint = tuple(sorted((str(d["_id"]), int(d["_version"])) for d in heads))
        cached = self._cache.get(workspace_id)
        if cached is not None and cached[0] == fingerprint:
            self._cache.move_to_end(workspace_id)
            return cached[1]
        docs = await coll.find({"workspace_id": workspace_id, "deleted": False}).to_list()
        catalogue = self._merged(workspace_id, docs)
        self._cache[workspace_id] = (fingerprint, catalogue)
        while len(self._cache) > CACHED_WORKSPACES:
            self._cache.popitem(last=False)
        return catalogue

    def _merged(self, workspace_id: str, docs: list[Doc]) -> Catalogue:
        own: list[Manifest] = []
        for doc in docs:
            manifest = _manifest(workspace_id, doc)
            if manifest is not None and self.base.get(manifest.type) is None:
                own.append(manifest)
        return Catalogue([*self.base.manifests, *own], self.base.sources, [m.type for m in own])


def _manifest(workspace_id: str, doc: Doc) -> Manifest | None:
    """A stored manifest (validated at registration); one today's model refuses is left out, and logged."""
    try:
        return Manifest.model_validate(doc.get("manifest") or {})
    except ValidationError as exc:
        log.warning("custom_provider_refused", workspace_id=workspace_id, type=doc.get("type"),
                    errors=exc.error_count())
        return None
