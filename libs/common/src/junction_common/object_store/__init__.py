"""Where a service keeps files: a local folder (the default) or an S3-compatible bucket. The gateway keeps asset
bytes here, the crm its BI export files, each in the store its own settings choose.

Either way clients upload and download through Junction's own signed, expiring URLs (`signed_urls`)."""

from __future__ import annotations

from junction_common.logconfig import get_logger
from junction_common.object_store import signed_urls
from junction_common.object_store.interface import ObjectStore, Stored
from junction_common.object_store.local import LocalObjectStore
from junction_common.object_store.s3 import S3Config, S3ObjectStore
from junction_common.object_store.settings import ObjectStoreSettings

__all__ = ["LocalObjectStore", "ObjectStore", "ObjectStoreSettings", "S3Config", "S3ObjectStore", "Stored",
           "open_object_store", "signed_urls"]

log = get_logger("junction.object_store")


def open_object_store(settings: ObjectStoreSettings) -> ObjectStore:
    """The store the settings choose (JUNCTION_OBJECT_STORE=local|s3)."""
    if settings.object_store == "s3":
        config = S3Config.from_settings(settings)
        log.info("object_store_opened", backend="s3", endpoint=config.endpoint_url, bucket=config.bucket,
                 region=config.region, path_style=config.path_style, key_prefix=config.key_prefix)
        return S3ObjectStore(config)
    log.info("object_store_opened", backend="local", root=str(settings.objects_root))
    return LocalObjectStore(settings.objects_root)
