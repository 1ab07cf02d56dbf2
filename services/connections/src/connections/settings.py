"""Settings of the connections service (env prefix JUNCTION_)."""

from __future__ import annotations

from pathlib import Path

from junction_common.settings import JunctionSettings


class ConnectionsSettings(JunctionSettings):
    # Its internal API (the gateway's only way to its reads and synchronous operations).
    internal_port: int = 8103
    # Operators' folders of provider manifests (comma-separated paths), loaded beside the built-in ones; a
    # manifest there is validated like a built-in one, and a type already taken fails the start.
    provider_dirs: str = ""

    def provider_paths(self) -> list[Path]:
        return [Path(part.strip()).expanduser() for part in self.provider_dirs.split(",") if part.strip()]
