"""Every built-in provider manifest (catalogue/providers/<type>.yaml) validates and the catalogue loads them all.

The count (200+, 25 complete) and the docs list: test_connections_catalogue_size.py."""

from __future__ import annotations

from connections.catalogue.loader import BUILTIN_DIR, load_catalogue, manifest_files, read_manifest


def test_every_builtin_manifest_validates_and_is_loaded() -> None:
    files = manifest_files(BUILTIN_DIR) if BUILTIN_DIR.is_dir() else []
    for path in files:
        read_manifest(path)  # raises CatalogueError naming the file
    catalogue = load_catalogue()
    assert sorted(catalogue.sources.values()) == files
