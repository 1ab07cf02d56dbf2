"""Loads the provider catalogue once, at start: every built-in manifest (`providers/<type>.yaml`), then every
manifest of the operators' folders (setting `provider_dirs`).

A manifest the model refuses, a file whose name is not its type, or a type declared twice fails the whole load
with the file and the reason: a catalogue is never served half-checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml
from pydantic import ValidationError

from connections.catalogue.index import Catalogue
from connections.catalogue.manifest import Manifest

BUILTIN_DIR = Path(__file__).with_name("providers")
SUFFIXES = (".yaml", ".yml")


class CatalogueError(Exception):
    """A manifest file that cannot be loaded: its path and why."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = path, reason


def _validation_reason(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in err['loc']) or '(manifest)'}: {err['msg']}" for err in exc.errors())


def read_manifest(path: Path) -> Manifest:
    """One manifest file, validated; its file name (without suffix) must be its `type`."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CatalogueError(path, f"unreadable: {exc}") from None
    if not isinstance(data, dict):
        raise CatalogueError(path, "a manifest is a YAML mapping of fields")
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as exc:
        raise CatalogueError(path, f"invalid manifest: {_validation_reason(exc)}") from None
    if manifest.type != path.stem:
        raise CatalogueError(path, f"the file of type {manifest.type!r} must be named {manifest.type}{path.suffix}")
    return manifest


def manifest_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in SUFFIXES)


def _folders(extra: Iterable[Path], builtin: Path) -> list[Path]:
    """The built-in folder (absent before its first manifest) and the operators' folders, which must exist."""
    folders = [builtin] if builtin.is_dir() else []
    for folder in extra:
        if not folder.is_dir():
            raise CatalogueError(folder, "not a folder of provider manifests (setting provider_dirs)")
        folders.append(folder)
    return folders


def load_catalogue(extra_dirs: Iterable[Path] = (), builtin: Path = BUILTIN_DIR) -> Catalogue:
    """Every manifest of the built-in folder then of `extra_dirs`, each type once."""
    types: dict[str, Path] = {}
    manifests: list[Manifest] = []
    for folder in _folders(extra_dirs, builtin):
        for path in manifest_files(folder):
            manifest = read_manifest(path)
            if manifest.type in types:
                raise CatalogueError(path, f"provider type {manifest.type!r} is already declared by "
                                           f"{types[manifest.type]}")
            types[manifest.type] = path
            manifests.append(manifest)
    return Catalogue(manifests, types)
