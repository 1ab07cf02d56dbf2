"""The object store settings a service holding files extends (the gateway for asset bytes, the crm for BI
export files): each process reads its own, so each may have its own folder, bucket or key prefix."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import SecretStr, model_validator

from junction_common.settings import JunctionSettings


class ObjectStoreSettings(JunctionSettings):
    # Where the service's files live: "local" (a folder, `objects_dir`) or "s3" (an S3-compatible bucket; the
    # service streams the bytes, clients only ever see Junction's own signed URLs).
    object_store: Literal["local", "s3"] = "local"
    # The local folder; empty means JUNCTION_HOME/objects.
    objects_dir: Path | None = None
    # Empty means AWS itself (https://s3.<region>.amazonaws.com); set it for MinIO, Ceph, R2, moto...
    s3_endpoint_url: str = ""
    s3_bucket: str = ""
    s3_region: str = "us-east-1"
    s3_access_key_id: str = ""
    s3_secret_access_key: SecretStr = SecretStr("")
    # Path-style URLs (<endpoint>/<bucket>/<key>) instead of virtual-hosted ones (<bucket>.<endpoint>/<key>).
    s3_path_style: bool = False
    # Keys are <prefix><workspace_id>/<object_id>; a prefix lets several installs share one bucket.
    s3_key_prefix: str = ""
    s3_timeout_s: float = 60.0

    @property
    def objects_root(self) -> Path:
        """The local store's folder."""
        return self.objects_dir or self.home / "objects"

    @model_validator(mode="after")
    def _s3_is_complete(self) -> ObjectStoreSettings:
        if self.object_store == "s3":
            missing = [name for name in ("s3_bucket", "s3_access_key_id") if not getattr(self, name)]
            if not self.s3_secret_access_key.get_secret_value():
                missing.append("s3_secret_access_key")
            if missing:
                names = ", ".join(f"JUNCTION_{m.upper()}" for m in missing)
                raise ValueError(f"JUNCTION_OBJECT_STORE=s3 needs {names}")
        return self
