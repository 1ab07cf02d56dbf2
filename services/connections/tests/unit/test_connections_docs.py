"""The full manifest example of docs/connections.md validates, and is complete."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from connections.catalogue.manifest import Manifest

DOC = Path(__file__).parents[4] / "docs" / "connections.md"


def test_the_documented_example_is_a_complete_manifest() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) == 1
    manifest = Manifest.model_validate(yaml.safe_load(blocks[0]))
    assert manifest.type == "acme_crm" and manifest.complete
