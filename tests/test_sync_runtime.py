"""The connector runtime on real source programs: airbyte-cdk's declarative engine reading the paged API simulator
through manifests built from a provider YAML, and a PyPI source (airbyte-source-faker), each installed once per
session into its cached environment under the Junction home."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import stat
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import jsonschema
import pytest
import pytest_asyncio
import yaml

from connections.catalogue.manifest import Manifest
from sync.runtime import (
    ConnectorRuntime,
    SourceFailed,
    SourceRef,
    configured_catalog,
    declarative_manifest,
    source_ref,
)
from sync.runtime.environments import CDK_PACKAGE, ConnectorEnvironments
from sync.runtime.process import Transcript, launched
from sync.runtime.runtime import DECLARATIVE_PROGRAM as DECLARATIVE
from sync.settings import SyncSettings
from tests.simulators.paged_api import STYLES, paged_api, provider

pytestmark = pytest.mark.integration
Json = dict[str, Any]
ITEMS = {"streams": [{"name": "items", "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"],
                      "source_defined_cursor": True, "default_cursor_field": ["updated_at"],
                      "source_defined_primary_key": [["id"]]}]}


@pytest_asyncio.fixture(scope="session")
async def runtime() -> ConnectorRuntime:
    """One runtime for the session; airbyte-cdk installed (or found cached) once."""
    found = ConnectorRuntime(SyncSettings())
    await found.environments.ensure(CDK_PACKAGE, found.cdk_version)
    return found


def catalog(mode: str = "full_refresh") -> Json:
    return configured_catalog(ITEMS, [{"name": "items", "sync_mode": mode}])


async def read_all(runtime: ConnectorRuntime, ref: SourceRef, config: Json, configured: Json,
                   state: list[Json] | None = None) -> list[Json]:
    return [m async for m in runtime.read(ref, config, configured, state)]


def records(messages: list[Json]) -> list[Json]:
    return [m["record"]["data"] for m in messages if m["type"] == "RECORD"]


def last_state(messages: list[Json]) -> list[Json]:
    states = [m["state"] for m in messages if m["type"] == "STATE"]
    return [{"type": states[-1]["type"], "stream": states[-1]["stream"]}]


def source_processes() -> dict[int, list[str]]:
    """This process's children running a source program, with their command lines."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
            argv = (entry / "cmdline").read_bytes().decode().split("\0")
        except (OSError, IndexError, ValueError):
            continue
        if ppid == os.getpid() and any("source-" in part for part in argv):
            found[int(entry.name)] = argv
    return found


def file_facts(path: Path) -> tuple[int, int, Any] | None:
    """A run file's mode, its directory's mode and its JSON; None once it is gone."""
    if not path.exists():
        return None
    content = json.loads(path.read_text()) if path.is_file() else None
    return stat.S_IMODE(path.stat().st_mode), stat.S_IMODE(path.parent.stat().st_mode), content


async def first_source() -> tuple[int, list[str]]:
    for _ in range(200):
        running = source_processes()
        if running:
            return next(iter(running.items()))
        await asyncio.sleep(0.05)
    raise AssertionError("no source process started")


async def test_spec_check_and_discover_of_a_manifest_built_from_a_provider(runtime: ConnectorRuntime) -> None:
    async with paged_api(10) as api:
        ref = source_ref(provider(api, "page"))
        spec = await runtime.spec(ref)
        assert spec["connectionSpecification"]["properties"]["apiKey"]["airbyte_secret"] is True
        assert await runtime.check(ref, {"apiKey": api.api_key}) == (True, None)
        ok, why = await runtime.check(ref, {"apiKey": "not-the-key"})
        assert not ok and why is not None and "401" in why
        discovered = await runtime.discover(ref, {"apiKey": api.api_key})
    (items,) = discovered["streams"]
    assert items["name"] == "items"
    assert items["supported_sync_modes"] == ["full_refresh", "incremental"]
    assert items["default_cursor_field"] == ["updated_at"] and items["source_defined_primary_key"] == [["id"]]
    assert set(items["json_schema"]["properties"]) == {"id", "updated_at"}


@pytest.mark.parametrize("style", STYLES)
async def test_each_pagination_style_reads_every_row_once(runtime: ConnectorRuntime, style: str) -> None:
    async with paged_api(230) as api:
        messages = await read_all(runtime, source_ref(provider(api, style)), {"apiKey": api.api_key}, catalog())
        pages = [seen for seen in api.requests if seen.path.startswith("/items/")]
    ids = [row["id"] for row in records(messages)]
    assert sorted(ids) == list(range(1, 231))
    assert [seen.status for seen in pages] == [200] * 5  # 50, 50, 50, 50, 30
    assert {m["type"] for m in messages} >= {"RECORD", "STATE", "LOG", "TRACE"}


async def test_incremental_read_resumes_from_state_with_an_inclusive_boundary(runtime: ConnectorRuntime) -> None:
    async with paged_api(100, same_second=2) as api:
        ref, config = source_ref(provider(api, "cursor")), {"apiKey": api.api_key}
        first = await read_all(runtime, ref, config, catalog("incremental"))
        assert len(records(first)) == 100
        state = last_state(first)
        assert state[0]["stream"]["stream_state"] == {"updated_at": api.rows[99]["updated_at"]}
        api.add_rows(10)
        api.touch([5])
        api.requests.clear()
        second = await read_all(runtime, ref, config, catalog("incremental"), state)
        asked = api.requests[0].query.get("updated_since")
    ids = sorted(row["id"] for row in records(second))
    # Rows 99 and 100 share the last cursor value: asked again (inclusive), so the destination de-duplicates.
    assert ids == [5, 99, 100, *range(101, 111)]
    assert asked == api.rows[99]["updated_at"]
    assert last_state(second)[0]["stream"]["stream_state"] == {"updated_at": api.rows[4]["updated_at"]}


async def test_a_flaky_page_is_retried_and_a_429_waits_for_retry_after(runtime: ConnectorRuntime) -> None:
    async with paged_api(230, fail_once={1}, throttle_once={2: 2}) as api:
        messages = await read_all(runtime, source_ref(provider(api, "offset")), {"apiKey": api.api_key}, catalog())
        by_page: dict[str, list[Any]] = {}
        for seen in api.requests:
            by_page.setdefault(seen.query.get("offset", "0"), []).append(seen)
    assert sorted(row["id"] for row in records(messages)) == list(range(1, 231))
    assert [s.status for s in by_page["50"]] == [500, 200]
    throttled, retried = by_page["100"]
    assert (throttled.status, retried.status) == (429, 200)
    assert retried.at - throttled.at >= 2.0  # Retry-After: 2 honoured


async def test_a_field_whose_type_changes_between_pages_passes_through(runtime: ConnectorRuntime) -> None:
    async with paged_api(120, type_change_at=60) as api:
        messages = await read_all(runtime, source_ref(provider(api, "page")), {"apiKey": api.api_key}, catalog())
    scores = {row["id"]: row["score"] for row in records(messages)}
    assert all(isinstance(scores[i], int) for i in range(1, 61))
    assert all(isinstance(scores[i], str) for i in range(61, 121))


async def test_closing_a_read_early_stops_the_source_and_removes_its_config(runtime: ConnectorRuntime) -> None:
    async with paged_api(500, delay_s=0.5) as api:
        reading = runtime.read(source_ref(provider(api, "page")), {"apiKey": api.api_key}, catalog())
        async with contextlib.aclosing(reading):
            first = await anext(reading)
            assert first["type"] in ("LOG", "TRACE", "RECORD")
            pid, argv = await first_source()
            config = Path(argv[argv.index("--config") + 1])
            assert file_facts(config) == (0o600, 0o700, {"apiKey": api.api_key})
        assert pid not in source_processes()
        assert file_facts(config) is None and file_facts(config.parent) is None


async def test_cancelling_the_reading_task_stops_the_source(runtime: ConnectorRuntime) -> None:
    async with paged_api(500, delay_s=0.5) as api:
        async def consume() -> None:
            async for _ in runtime.read(source_ref(provider(api, "page")), {"apiKey": api.api_key}, catalog()):
                pass

        task = asyncio.create_task(consume())
        pid, argv = await first_source()
        config = Path(argv[argv.index("--config") + 1])
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert pid not in source_processes()
    assert file_facts(config) is None


async def test_a_failing_source_raises_source_failed_with_its_secrets_masked(runtime: ConnectorRuntime) -> None:
    secret = "wrong-key-" + os.urandom(8).hex()
    async with paged_api(30) as api:
        manifest = provider(api, "page")
        manifest["auth"] = {"kind": "api_key", "location": "query", "name": "api_key", "template": "{apiKey}"}
        seen: list[Json] = []
        with pytest.raises(SourceFailed) as failed:
            async for message in runtime.read(source_ref(manifest), {"apiKey": secret}, catalog()):
                seen.append(message)
    assert "401" in failed.value.message and failed.value.last_stream == "items"
    assert any(m["type"] == "TRACE" and m["trace"]["type"] == "ERROR" for m in seen)
    # The engine's own error detail holds the request URL, key included: it leaves the runtime masked.
    assert secret not in failed.value.message and all(secret not in json.dumps(m) for m in seen)
    assert "**********" in json.dumps(seen)
    assert not source_processes()


async def test_a_pypi_source_is_installed_and_read_end_to_end(runtime: ConnectorRuntime) -> None:
    ref = SourceRef(kind="pypi", package="airbyte-source-faker", version="7.2.1")
    config = {"count": 25, "seed": 7, "records_per_slice": 100}
    spec = await runtime.spec(ref)
    assert "count" in spec["connectionSpecification"]["properties"]
    assert await runtime.check(ref, config) == (True, None)
    discovered = await runtime.discover(ref, config)
    assert {s["name"] for s in discovered["streams"]} >= {"users", "products", "purchases"}
    configured = configured_catalog(discovered, [{"name": "users", "sync_mode": "incremental"}])
    messages = [m async for m in runtime.read(ref, config, configured, None)]
    users = records(messages)
    assert len(users) == 25 and len({u["id"] for u in users}) == 25
    assert any(m["type"] == "STATE" for m in messages)
    installed = json.loads((runtime.environments.root / "airbyte-source-faker-7.2.1" / "installed.json").read_text())
    assert installed["version"] == "7.2.1" and "source-faker" in installed["scripts"]


async def test_the_simulators_provider_yaml_is_a_valid_catalogue_manifest() -> None:
    async with paged_api(0) as api:
        for style in STYLES:
            assert Manifest.model_validate(provider(api, style)).streams[0].pagination is not None


async def test_reads_stream_their_messages_as_they_come(runtime: ConnectorRuntime) -> None:
    async with paged_api(150, delay_s=0.3) as api:
        stream: AsyncIterator[Json] = runtime.read(source_ref(provider(api, "page")), {"apiKey": api.api_key},
                                                   catalog())
        async with contextlib.aclosing(stream):
            async for message in stream:
                if message["type"] == "RECORD":
                    break
            # The first record arrived while later pages were still to be asked for.
            assert len([s for s in api.requests if s.path.startswith("/items/")]) < 4


INSTALL = """
import asyncio, json, sys
from sync.settings import SyncSettings
from sync.runtime.environments import ConnectorEnvironments
installed = asyncio.run(ConnectorEnvironments(SyncSettings()).ensure(sys.argv[1], sys.argv[2]))
print("INSTALLED", json.dumps([installed.version, list(installed.scripts)]), flush=True)
"""


async def test_two_processes_installing_one_environment_install_it_once(runtime: ConnectorRuntime,
                                                                        tmp_path: Path) -> None:
    env = {**os.environ, "JUNCTION_HOME": str(tmp_path), "JUNCTION_LOG_JSON": "true"}
    procs = [await asyncio.create_subprocess_exec(
        sys.executable, "-c", INSTALL, CDK_PACKAGE, runtime.cdk_version, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT) for _ in range(2)]
    outputs = [(await proc.communicate())[0].decode() for proc in procs]
    try:
        assert [proc.returncode for proc in procs] == [0, 0], outputs
        both = "\n".join(outputs)
        assert both.count("connector_install_started") == 1  # the other waited on the lock, then found it
        assert both.count("connector_install_progress") > 1  # the installer's progress is in the log
        answers = [json.loads(line.split(" ", 1)[1]) for line in both.splitlines() if line.startswith("INSTALLED")]
        assert answers == [[runtime.cdk_version, answers[0][1]]] * 2 and DECLARATIVE in answers[0][1]
        record = json.loads(file_text(tmp_path / "connectors" / f"{CDK_PACKAGE}-{runtime.cdk_version}" /
                                      "installed.json"))
        assert record["version"] == runtime.cdk_version and record["package"] == CDK_PACKAGE
    finally:
        await asyncio.to_thread(shutil.rmtree, tmp_path / "connectors", True)


def file_text(path: Path) -> str:
    return path.read_text()


def engine_schema(runtime: ConnectorRuntime) -> Json:
    """The declarative engine's own component schema, from the installed airbyte-cdk."""
    venv = runtime.environments.root / f"{CDK_PACKAGE}-{runtime.cdk_version}"
    (path,) = venv.glob("lib/python*/site-packages/airbyte_cdk/sources/declarative/declarative_component_schema.yaml")
    return yaml.safe_load(path.read_text())  # type: ignore[no-any-return]


def test_every_built_in_provider_with_streams_yields_a_manifest_the_engine_accepts(runtime: ConnectorRuntime) -> None:
    validator = jsonschema.Draft7Validator(engine_schema(runtime))
    folder = Path(__file__).parents[1] / "services/connections/src/connections/catalogue/providers"
    built = 0
    for path in sorted(folder.glob("*.yaml")):
        manifest = Manifest.model_validate(yaml.safe_load(path.read_text()))
        if manifest.streams and manifest.source is None:
            errors = [e.message[:200] for e in validator.iter_errors(
                declarative_manifest(manifest.model_dump(mode="json", exclude_none=True)))]
            assert errors == [], (path.name, errors[:3])
            built += 1
    assert built >= 40


async def test_a_region_in_the_config_chooses_the_base_url(runtime: ConnectorRuntime) -> None:
    async with paged_api(20) as api:
        regional = {**provider(api, "page"), "api_base_url": "http://127.0.0.1:9", "regions": {"eu": api.url}}
        messages = await read_all(runtime, source_ref(regional), {"apiKey": api.api_key, "region": "eu"}, catalog())
    assert len(records(messages)) == 20


KILLED_SERVICE = """
import asyncio, json, sys
from sync.settings import SyncSettings
from sync.runtime import ConnectorRuntime, source_ref
from tests.simulators.paged_api import PagedApi, provider

async def main():
    api = PagedApi(sys.argv[1], api_key=sys.argv[2])
    async for message in ConnectorRuntime(SyncSettings()).read(
            source_ref(provider(api, "page")), {"apiKey": api.api_key}, json.loads(sys.argv[3])):
        if message["type"] == "RECORD":
            print("RECORD", flush=True)

asyncio.run(main())
"""


def gone(pid: int) -> bool:
    """True when `pid` no longer runs (no such process, or a zombie left for its new parent to reap)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] in ("Z", "X")
    except OSError:
        return True


def children_of(parent: int) -> dict[int, list[str]]:
    found = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if int((entry / "stat").read_text().rpartition(")")[2].split()[1]) == parent:
                found[int(entry.name)] = (entry / "cmdline").read_bytes().decode().split("\0")
        except (OSError, IndexError, ValueError):
            continue
    return found


async def test_a_service_killed_mid_read_takes_its_source_along_and_its_config_is_swept(
        runtime: ConnectorRuntime) -> None:
    # Page 1 answers 429 with Retry-After: 60, so the source sits waiting, writing nothing, when its service dies.
    async with paged_api(500, throttle_once={1: 60}) as api:
        service = await asyncio.create_subprocess_exec(
            sys.executable, "-c", KILLED_SERVICE, api.url, api.api_key, json.dumps(catalog()),
            cwd=Path(__file__).parents[1], stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
        assert service.stdout is not None
        while not (await asyncio.wait_for(service.stdout.readline(), 120)).startswith(b"RECORD"):
            pass  # its log lines
        ((source, argv),) = children_of(service.pid).items()
        run_dir = Path(argv[argv.index("--config") + 1]).parent
        service.kill()  # SIGKILL: no finally runs in the service
        await service.wait()
        for _ in range(100):
            if gone(source):
                break
            await asyncio.sleep(0.1)
        assert gone(source)  # the kernel killed the source with its service (PR_SET_PDEATHSIG)
        assert file_facts(run_dir) is not None  # its config outlived it ...
        fresh = ConnectorRuntime(SyncSettings())
        assert (await fresh.check(source_ref(provider(api, "page")), {"apiKey": api.api_key}))[0]
        assert file_facts(run_dir) is None  # ... until the next run of any runtime swept it


async def test_the_paged_simulator_serves_what_its_docstring_says() -> None:
    async with paged_api(7, page_size=3, same_second=2, fail_once={1}, throttle_once={2: 5}, type_change_at=6) as api, \
            aiohttp.ClientSession(headers={"Authorization": f"Bearer {api.api_key}"}) as http:
        async def get(path: str, **query: Any) -> tuple[int, Json, Any]:
            async with http.get(api.url + path, params={k: str(v) for k, v in query.items()}) as answer:
                return answer.status, await answer.json(), answer.links

        assert (await get("/items/page", page=1))[1]["data"][0]["id"] == 1
        assert (await get("/items/page", page=2))[0] == 500  # once
        assert [r["id"] for r in (await get("/items/page", page=2))[1]["data"]] == [4, 5, 6]
        assert (await get("/items/offset", offset=6, limit=3))[0] == 429  # page index 2, once
        assert [r["id"] for r in (await get("/items/offset", offset=6, limit=3))[1]["data"]] == [7]
        _, body, _ = await get("/items/cursor", limit=4)
        assert body["meta"]["next_cursor"] == "c4"
        assert (await get("/items/cursor", limit=4, cursor="c4"))[1]["meta"]["next_cursor"] is None
        _, body, _ = await get("/items/next_url", limit=5)
        assert body["next"].startswith(api.url + "/items/next_url?") and "cursor=c5" in body["next"]
        _, _, links = await get("/items/link", per_page=5)
        assert "page=2" in str(links["next"]["url"])
        since = api.rows[2]["updated_at"]  # rows 3 and 4 share it: the bound is inclusive
        assert [r["id"] for r in (await get("/items/page", per_page=10, updated_since=since))[1]["data"]] == [3, 4, 5,
                                                                                                           6, 7]
        assert [type(r["score"]) for r in api.rows] == [int] * 6 + [str]
    async with paged_api(1, auth="api_key") as api, aiohttp.ClientSession() as http:
        async with http.get(api.url + "/me", headers={"X-Api-Key": "wrong"}) as answer:
            assert answer.status == 401
        async with http.get(api.url + "/me", headers={"X-Api-Key": api.api_key}) as answer:
            assert answer.status == 200


async def test_windows_checkpoint_a_long_read_after_each_step(runtime: ConnectorRuntime) -> None:
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    async with paged_api(60, base=now - timedelta(days=3), seconds_apart=3600, same_second=1) as api:
        windowed = provider(api, "page")
        windowed["streams"][0]["incremental"] = {"request_param": "updated_since", "end_param": "updated_until",
                                                 "step": "P1D"}
        config = {"apiKey": api.api_key, "start_date": api.rows[0]["updated_at"]}
        messages = await read_all(runtime, source_ref(windowed), config, catalog("incremental"))
        asked = [(s.query["updated_since"], s.query["updated_until"]) for s in api.requests
                 if s.path.startswith("/items/")]
    assert sorted(row["id"] for row in records(messages)) == list(range(1, 61))  # each window once, none twice
    cursors = [m["state"]["stream"]["stream_state"].get("updated_at") for m in messages if m["type"] == "STATE"]
    assert len([c for c in cursors if c]) >= 3 and cursors == sorted(cursors, key=str)  # one checkpoint a window
    assert len(asked) >= 3 and all(since < until for since, until in asked)


@pytest.mark.slow
async def test_without_uv_an_environment_is_installed_with_venv_and_pip(tmp_path: Path) -> None:
    environments = ConnectorEnvironments(SyncSettings(home=tmp_path, connector_uv="pip"))
    try:
        installed = await environments.ensure("airbyte-source-faker", "7.2.1")
        assert installed.scripts == ("source-faker",)
        record = json.loads(file_text(installed.venv / "installed.json"))
        assert (record["installer"], record["version"]) == ("pip", "7.2.1")
        assert await asyncio.to_thread(os.path.exists, installed.venv / "bin" / "pip")  # uv's venvs have none
    finally:
        await asyncio.to_thread(shutil.rmtree, tmp_path / "connectors", True)


CRASHING = ("import sys; print('{\"type\": \"LOG\", \"log\": {\"level\": \"INFO\", \"message\": \"hi\"}}'); "
            "print('not json'); sys.stderr.write('Traceback\\nValueError: key sk-crash-123 refused\\n'); sys.exit(3)")


async def test_a_source_crashing_without_a_trace_fails_with_its_stderr_masked(tmp_path: Path) -> None:
    transcript = Transcript(["sk-crash-123"])
    async with launched([sys.executable, "-c", CRASHING], tmp_path, 0.5) as source:
        seen = [transcript.see(message) async for message in source.messages()]
        code = await source.wait()
    assert code == 3
    assert [m["log"]["message"] for m in seen] == ["hi", "not json"]
    with pytest.raises(SourceFailed) as failed:
        transcript.finish(code, source.stderr_tail())
    assert failed.value.message == "the source exited with status 3: Traceback\nValueError: key ********** refused"


async def test_one_read_serves_several_streams_each_with_its_own_state(runtime: ConnectorRuntime) -> None:
    async with paged_api(120) as api:
        two = provider(api, "page")
        two["streams"].append({**provider(api, "link")["streams"][0], "name": "linked"})
        discovered = {"streams": [{**ITEMS["streams"][0], "name": name} for name in ("items", "linked")]}
        configured = configured_catalog(discovered, [{"name": "items", "sync_mode": "incremental"},
                                                     {"name": "linked", "sync_mode": "full_refresh"}])
        messages = await read_all(runtime, source_ref(two), {"apiKey": api.api_key}, configured)
    by_stream: dict[str, list[int]] = {}
    for message in messages:
        if message["type"] == "RECORD":
            by_stream.setdefault(message["record"]["stream"], []).append(message["record"]["data"]["id"])
    assert {name: sorted(ids) for name, ids in by_stream.items()} == {"items": list(range(1, 121)),
                                                                      "linked": list(range(1, 121))}
    states = {m["state"]["stream"]["stream_descriptor"]["name"]: m["state"]["stream"]["stream_state"]
              for m in messages if m["type"] == "STATE"}
    assert states["items"] == {"updated_at": api.rows[-1]["updated_at"]}


async def test_environments_can_be_installed_ahead_from_the_command_line(runtime: ConnectorRuntime) -> None:
    async def cli(*args: str) -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "sync.runtime", "install", *args,
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out, _ = await proc.communicate()
        return int(proc.returncode or 0), out.decode()

    code, out = await cli()
    assert code == 0 and f"{CDK_PACKAGE}=={runtime.cdk_version} ready in" in out
    code, out = await cli("airbyte-cdk")
    assert code == 1 and "error: airbyte-cdk== is not an Airbyte package name and version" in out
