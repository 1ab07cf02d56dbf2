"""ConnectorRuntime: the Airbyte protocol's four commands (spec, check, discover, read) on a source program."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import Any

from junction_common.logconfig import get_logger
from sync.runtime.catalogs import CatalogMemo, declared_catalog
from sync.runtime.credentials import RunFiles, private_run_files, secret_values, sweep_abandoned
from sync.runtime.environments import CDK_PACKAGE, CDK_VERSION, MEASURED_SOURCES, ConnectorEnvironments
from sync.runtime.process import Message, Transcript, launched
from sync.runtime.refs import SourceFailed, SourceRef
from sync.settings import SyncSettings

log = get_logger(__name__)
DECLARATIVE_PROGRAM = "source-declarative-manifest"
COMMAND_TIMEOUT_S = 600  # spec, check and discover; a read lasts as long as it streams


class ConnectorRuntime:
    """Runs sources as subprocesses in their own cached environments (see the package docstring)."""

    def __init__(self, settings: SyncSettings) -> None:
        self.environments = ConnectorEnvironments(settings)
        self.cdk_version = settings.connector_cdk_version or CDK_VERSION
        self._grace_s = settings.connector_stop_grace_s
        self._specs: dict[tuple[str, str], dict[str, Any]] = {}
        self._swept = False
        self._catalogs = CatalogMemo()

    async def spec(self, ref: SourceRef) -> dict[str, Any]:
        """The SPEC message's spec: a declarative source's comes from its manifest, a PyPI source's from the
        program (asked once per package and version)."""
        if ref.kind == "declarative":
            return _manifest_spec(ref.manifest or {})
        key = (str(ref.package), pypi_version(ref))
        if key not in self._specs:
            self._specs[key] = (await self._answer(ref, "spec", None, "SPEC"))["spec"]
        return self._specs[key]

    async def check(self, ref: SourceRef, config: dict[str, Any]) -> tuple[bool, str | None]:
        """Whether the source reaches its API with this config, and why not."""
        try:
            status = (await self._answer(ref, "check", config, "CONNECTION_STATUS"))["connectionStatus"]
        except SourceFailed as failed:
            return False, failed.message
        return status.get("status") == "SUCCEEDED", status.get("message")

    async def discover(self, ref: SourceRef, config: dict[str, Any]) -> dict[str, Any]:
        """The AirbyteCatalog {"streams": [...]}: names, JSON schemas, sync modes, cursors, primary keys."""
        catalog = dict((await self._answer(ref, "discover", config, "CATALOG"))["catalog"])
        self._catalogs.put(ref, config, catalog)
        return catalog

    async def catalog(self, ref: SourceRef, config: dict[str, Any]) -> dict[str, Any]:
        """The catalog a run reads by: the one a plain low-code manifest declares, else the last one `discover`
        answered for this program and config (catalogs.REUSE_S), else a discover now."""
        declared = declared_catalog(ref.manifest) if ref.kind == "declarative" and ref.manifest else None
        return declared or self._catalogs.get(ref, config) or await self.discover(ref, config)

    async def _answer(self, ref: SourceRef, command: str, config: dict[str, Any] | None, kind: str) -> Message:
        """The message of `kind` that `command` answers with, within COMMAND_TIMEOUT_S."""
        secrets = [] if config is None else await self._secrets(ref, config)
        found: Message | None = None
        try:
            async with asyncio.timeout(COMMAND_TIMEOUT_S), aclosing(self._run(ref, command, config, secrets)) as run:
                async for message in run:
                    found = message if message.get("type") == kind else found
        except TimeoutError:
            raise SourceFailed(f"the source did not answer `{command}` within {COMMAND_TIMEOUT_S} s") from None
        if found is None:
            raise SourceFailed(f"the source answered `{command}` without a {kind} message")
        return found

    async def read(self, ref: SourceRef, config: dict[str, Any], catalog: dict[str, Any],
                   state: list[dict[str, Any]] | None = None) -> AsyncIterator[Message]:
        """Every message of a read, in order; closing early stops the source within a second; a non-zero exit
        or a TRACE error raises SourceFailed after the messages already yielded."""
        secrets = await self._secrets(ref, config)
        # aclosing: closing this generator closes the run's at once (its finally stops the source).
        async with aclosing(self._run(ref, "read", config, secrets, catalog=catalog, state=state)) as messages:
            async for message in messages:
                yield message

    async def _secrets(self, ref: SourceRef, config: dict[str, Any]) -> list[str]:
        return secret_values(config, await self.spec(ref))

    async def _run(self, ref: SourceRef, command: str, config: dict[str, Any] | None, secrets: list[str],
                   catalog: dict[str, Any] | None = None,
                   state: list[dict[str, Any]] | None = None) -> AsyncGenerator[Message, None]:
        program = await self._program(ref)
        if not self._swept:  # run files a killed process of this service left behind
            swept = await asyncio.to_thread(sweep_abandoned)
            if swept:
                log.info("source_run_files_swept", count=len(swept))
            self._swept = True
        started, transcript = time.monotonic(), Transcript(secrets)
        with private_run_files() as files:
            inputs = {"--config": config, "--catalog": catalog, "--state": state,
                      "--manifest-path": ref.manifest if ref.kind == "declarative" else None}
            argv = [program, command, *_input_args(files, inputs)]
            log.info("source_started", source=_name(ref), command=command)
            async with launched(argv, files.dir, self._grace_s) as source:
                async for message in source.messages():
                    yield transcript.see(message)
                code = await source.wait()
            log.info("source_finished", source=_name(ref), command=command, exit_code=code,
                     messages=transcript.count, seconds=round(time.monotonic() - started, 2))
            transcript.finish(code, source.stderr_tail())

    async def _program(self, ref: SourceRef) -> str:
        """The path of the program that runs `ref`, its environment installed first when missing."""
        if ref.kind == "declarative":
            installed = await self.environments.ensure(CDK_PACKAGE, self.cdk_version)
            return str(installed.program(DECLARATIVE_PROGRAM))
        installed = await self.environments.ensure(str(ref.package), pypi_version(ref))
        wanted = "source-" + str(ref.package).removeprefix("airbyte-source-")
        scripts = [s for s in installed.scripts if s == wanted] or [s for s in installed.scripts
                                                                     if s.startswith("source-")]
        if not scripts:
            raise SourceFailed(f"{ref.package} installs no `source-*` program (it has {list(installed.scripts)})")
        return str(installed.program(scripts[0]))


def _input_args(files: RunFiles, inputs: dict[str, Any]) -> list[str]:
    """Each input given written to its private file, as `--option path` arguments (the manifest as JSON, which
    is YAML, for the engine's --manifest-path)."""
    args: list[str] = []
    for option, value in inputs.items():
        if value is not None:
            args += [option, str(files.write_json(option.removeprefix("--") + ".json", value))]
    return args


def pypi_version(ref: SourceRef) -> str:
    """The version a PyPI source runs: its pin, else the measured default for that package."""
    version = ref.version or MEASURED_SOURCES.get(str(ref.package))
    if version is None:
        raise SourceFailed(f"{ref.package} has no measured default version here: pin one")
    return version


def _manifest_spec(manifest: dict[str, Any]) -> dict[str, Any]:
    spec = manifest.get("spec") or {}
    found: dict[str, Any] = {"connectionSpecification": spec.get("connection_specification")
                             or {"type": "object", "properties": {}, "additionalProperties": True}}
    if spec.get("documentation_url"):
        found["documentationUrl"] = spec["documentation_url"]
    return found


def _name(ref: SourceRef) -> str:
    return f"{ref.package}=={ref.version or ''}" if ref.kind == "pypi" else "declarative"
