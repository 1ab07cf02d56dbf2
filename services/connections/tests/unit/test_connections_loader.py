"""The catalogue loader: every manifest validated, each file named by its type, each type (and pipelines connector
type) declared once; a refused file fails the whole load, naming the file and the reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from connections.catalogue.loader import CatalogueError, load_catalogue
from connections.main import create_spec
from connections.settings import ConnectionsSettings

SAMPLES = Path(__file__).parents[1] / "fixtures" / "providers"


def sample(provider_type: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((SAMPLES / f"{provider_type}.yaml").read_text(encoding="utf-8"))
    return loaded


@pytest.fixture
def api_key_provider() -> dict[str, Any]:
    return sample("junction_test_crm")


@pytest.fixture
def oauth_provider() -> dict[str, Any]:
    return sample("junction_test_books")


def write_manifest(folder: Path, manifest: dict[str, Any], name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name or manifest['type']}.yaml"
    path.write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    return path


def test_builtin_and_operator_folders_load_in_type_order(tmp_path: Path, api_key_provider: dict[str, Any],
                                                          oauth_provider: dict[str, Any]) -> None:
    write_manifest(tmp_path / "builtin", oauth_provider)
    write_manifest(tmp_path / "ops", api_key_provider)
    catalogue = load_catalogue([tmp_path / "ops"], builtin=tmp_path / "builtin")
    assert [m.type for m in catalogue.manifests] == ["junction_test_books", "junction_test_crm"]
    assert catalogue.sources["junction_test_crm"] == tmp_path / "ops" / "junction_test_crm.yaml"
    assert catalogue.get("junction_test_books") is not None and catalogue.get("missing") is None


def test_an_invalid_manifest_is_refused_with_its_file_and_field(tmp_path: Path,
                                                                api_key_provider: dict[str, Any]) -> None:
    api_key_provider["categories"] = ["Astrology"]
    del api_key_provider["docs_url"]
    path = write_manifest(tmp_path, api_key_provider)
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(builtin=tmp_path)
    assert caught.value.path == path
    assert str(path) in str(caught.value)
    assert "categories.0" in caught.value.reason and "docs_url" in caught.value.reason


def test_a_rule_of_the_model_is_enforced(tmp_path: Path, api_key_provider: dict[str, Any]) -> None:
    api_key_provider["triggers"][1]["stream"] = "invoices"  # no such stream
    write_manifest(tmp_path, api_key_provider)
    with pytest.raises(CatalogueError, match="polls unknown stream invoices"):
        load_catalogue(builtin=tmp_path)


def test_a_file_not_named_by_its_type_is_refused(tmp_path: Path, api_key_provider: dict[str, Any]) -> None:
    path = write_manifest(tmp_path, api_key_provider, name="acme")
    with pytest.raises(CatalogueError, match=r"must be named junction_test_crm\.yaml") as caught:
        load_catalogue(builtin=tmp_path)
    assert caught.value.path == path


def test_a_type_declared_twice_is_refused_naming_both_files(tmp_path: Path,
                                                             api_key_provider: dict[str, Any]) -> None:
    first = write_manifest(tmp_path / "builtin", api_key_provider)
    second = write_manifest(tmp_path / "ops", api_key_provider)
    with pytest.raises(CatalogueError) as caught:
        load_catalogue([tmp_path / "ops"], builtin=tmp_path / "builtin")
    assert caught.value.path == second and f"already declared by {first}" in caught.value.reason


@pytest.mark.parametrize("text", ["- just\n- a list\n", "type: [unclosed\n", ""])
def test_a_file_that_is_no_manifest_is_refused(tmp_path: Path, text: str) -> None:
    (tmp_path / "broken.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(builtin=tmp_path)
    assert caught.value.path == tmp_path / "broken.yaml"


def test_a_missing_operator_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="not a folder of provider manifests"):
        load_catalogue([tmp_path / "nowhere"], builtin=tmp_path)


def test_the_service_loads_operator_folders_from_its_setting(tmp_path: Path, api_key_provider: dict[str, Any],
                                                               oauth_provider: dict[str, Any]) -> None:
    write_manifest(tmp_path / "a", api_key_provider)
    write_manifest(tmp_path / "b", oauth_provider)
    settings = ConnectionsSettings(provider_dirs=f"{tmp_path / 'a'}, {tmp_path / 'b'}")
    assert settings.provider_paths() == [tmp_path / "a", tmp_path / "b"]
    create_spec(settings)  # loads the built-ins and both folders, refusing nothing
    write_manifest(tmp_path / "b", api_key_provider, name="acme")
    with pytest.raises(CatalogueError):
        create_spec(settings)
