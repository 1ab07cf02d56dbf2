"""A run reads without a `discover` process when its manifest declares its catalog: for manifests built from a
provider's streams (pagination styles, with and without an incremental cursor, with windows), the catalog derived
from the manifest is the one airbyte-cdk's discover answers."""

from __future__ import annotations

import pytest
import pytest_asyncio

from sync.runtime import ConnectorRuntime, source_ref
from sync.runtime.catalogs import declared_catalog
from sync.runtime.environments import CDK_PACKAGE
from sync.settings import SyncSettings
from tests.simulators.paged_api import STYLES, paged_api, provider

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture(scope="module")
async def runtime() -> ConnectorRuntime:
    found = ConnectorRuntime(SyncSettings())
    await found.environments.ensure(CDK_PACKAGE, found.cdk_version)
    return found


@pytest.mark.parametrize(("style", "incremental", "window"),
                         [("page", False, None), ("cursor", True, None), ("link", True, "PT1H")])
async def test_a_built_manifest_declares_the_catalog_its_engine_discovers(runtime: ConnectorRuntime, style: str,
                                                                         incremental: bool, window: str | None) -> None:
    assert style in STYLES
    async with paged_api(10, window=window) as api:
        ref = source_ref(provider(api, style, incremental=incremental))
        assert ref.manifest is not None
        declared = declared_catalog(ref.manifest)
        assert declared is not None
        assert declared == await runtime.discover(ref, {"apiKey": api.api_key})


async def test_a_source_without_a_declared_catalog_reuses_its_last_discover(runtime: ConnectorRuntime) -> None:
    async with paged_api(10) as api:
        ref = source_ref(provider(api, "page"))
        assert ref.manifest is not None
        ref.manifest["definitions"] = {}  # not plain any more: its catalog comes from a discover
        config = {"apiKey": api.api_key}
        assert declared_catalog(ref.manifest) is None
        first = await runtime.catalog(ref, config)
        assert first["streams"][0]["name"] == "items"
        assert await runtime.catalog(ref, config) is first  # the last discover reused
        assert await runtime.catalog(ref, {"apiKey": "another"}) is not first  # another config: discovered
