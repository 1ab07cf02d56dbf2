"""Provider manifests the simulators write about themselves (an operator folder's `<type>.yaml`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def write_manifest(folder: Path, manifest: dict[str, Any]) -> Path:
    """Write `<type>.yaml` into `folder` (created if needed) and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{manifest['type']}.yaml"
    path.write_text(yaml.safe_dump(manifest, sort_keys=False))
    return path


def base_manifest(type_: str, name: str, base_url: str, auth: dict[str, Any], category: str) -> dict[str, Any]:
    return {
        "type": type_, "name": name, "description": f"{name}: a local simulator for tests.",
        "categories": [category], "docs_url": f"{base_url}/docs", "api_base_url": base_url, "auth": auth,
        "test": {"method": "GET", "path": "/me", "expect_status": 200},
        "rate_limit": {"requests": 100, "per_seconds": 1, "scope": "connection"},
        "streams": [{"name": "contacts", "path": "/contacts", "records_path": "data"}],
    }
