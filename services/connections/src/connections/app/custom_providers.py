"""The synchronous operations on custom providers: a manifest validated here by the catalogue's model (as a
built-in file is, so the same reasons come back), its type checked against the base catalogue, then a command
through this service's executor. The workspace's catalogue sees the change on its next call (catalogue.workspace).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from pydantic import ValidationError

from connections.app.commands import run_command
from connections.app.operations import Call
from connections.catalogue.index import Catalogue
from connections.catalogue.manifest import Manifest
from connections_contracts import custom_providers as cp
from junction_common.identity import Principal
from junction_common.logconfig import get_logger
from junction_common.service import ServiceRuntime
from junction_common.web.envelope import ApiError, request_id_of

log = get_logger(__name__)
Doc = dict[str, Any]
MAX_ERRORS = 20
MAX_PER_WORKSPACE = 100  # every call of the workspace reads its catalogue: keep it small


def _errors(exc: ValidationError) -> list[Doc]:
    return [{"pointer": "/" + "/".join(str(p) for p in err["loc"]), "message": err["msg"]}
            for err in exc.errors()[:MAX_ERRORS]]


def validated(manifest: Doc) -> Manifest:
    """The manifest model's verdict, as for a built-in file: a VALIDATION_ERROR listing each reason."""
    try:
        return Manifest.model_validate(manifest)
    except ValidationError as exc:
        problems = _errors(exc)
        raise ApiError("VALIDATION_ERROR", "The manifest is not valid.",
                       {"pointer": problems[0]["pointer"] if problems else "/", "errors": problems}) from None


class CustomProviders:
    """A workspace's private provider manifests."""

    def __init__(self, runtime: ServiceRuntime, base: Catalogue) -> None:
        self.runtime, self.base = runtime, base

    @property
    def db(self) -> Any:
        return self.runtime.db[cp.COLLECTION]

    @staticmethod
    def call(principal: Principal, request: Request) -> Call:
        return Call(principal, request_id_of(request))

    @staticmethod
    def manifest_of(doc: Doc) -> Manifest:
        return Manifest.model_validate(doc["manifest"])

    async def live(self, workspace_id: str) -> list[Doc]:
        docs = await self.db.find({"workspace_id": workspace_id, "deleted": False}).sort("type", 1).to_list()
        return [dict(d) for d in docs]

    async def find(self, workspace_id: str, provider_type: str) -> Doc:
        doc = await self.db.find_one({"_id": cp.stream_id(workspace_id, provider_type)})
        if doc is None or doc.get("deleted") or doc.get("workspace_id") != workspace_id:
            raise ApiError("NOT_FOUND", "No custom provider of that type.", {"type": provider_type})
        return dict(doc)

    async def register(self, call: Call, manifest: Doc) -> Doc:
        checked = self._checked(manifest)
        if await self.db.count_documents({"workspace_id": call.workspace_id, "deleted": False}) >= MAX_PER_WORKSPACE:
            raise ApiError("VALIDATION_ERROR", f"A workspace holds at most {MAX_PER_WORKSPACE} custom providers.",
                           {"pointer": "/type", "limit": MAX_PER_WORKSPACE})
        return await self._run(call, cp.REGISTER, checked)

    async def replace(self, call: Call, provider_type: str, manifest: Doc) -> Doc:
        given = manifest.get("type")
        if given not in (None, provider_type):
            raise ApiError("VALIDATION_ERROR", "The manifest's type is the one the path names.",
                           {"pointer": "/type", "type": given})
        await self.find(call.workspace_id, provider_type)
        return await self._run(call, cp.REPLACE, self._checked({**manifest, "type": provider_type}))

    async def delete(self, call: Call, provider_type: str) -> None:
        await self.find(call.workspace_id, provider_type)
        await run_command(self.runtime, call, cp.DELETE, cp.stream_id(call.workspace_id, provider_type),
                          {"type": provider_type}, cp.COLLECTION)
        log.info("custom_provider_deleted", workspace_id=call.workspace_id, type=provider_type)

    def _checked(self, manifest: Doc) -> Manifest:
        checked = validated(manifest)
        if self.base.get(checked.type) is not None:
            raise ApiError("VALIDATION_ERROR", "That type is a built-in provider's: choose another.",
                           {"pointer": "/type", "type": checked.type})
        return checked

    async def _run(self, call: Call, command: str, manifest: Manifest) -> Doc:
        data = {"type": manifest.type, "manifest": manifest.model_dump(mode="json", exclude_none=True)}
        doc = await run_command(self.runtime, call, command, cp.stream_id(call.workspace_id, manifest.type), data,
                                cp.COLLECTION)
        log.info("custom_provider_saved", workspace_id=call.workspace_id, type=manifest.type, command=command)
        return doc if doc is not None else await self.find(call.workspace_id, manifest.type)
