"""Where asset bytes and BI export files are kept: a local folder (the default) or an S3-compatible bucket.

Either way clients upload and download through Junction's own signed, expiring URLs (`signed_urls`)."""

from __future__ import annotations

from gateway.object_store.interface import ObjectStore, Stored
from gateway.object_store.local import LocalObjectStore
from gateway.object_store.s3 import S3Config, S3ObjectStore
from gateway.settings import GatewaySettings
from junction_common.logconfig import get_logger

__all__ = ["LocalObjectStore", "ObjectStore", "S3Config", "S3ObjectStore", "Stored", "open_object_store"]

log = get_logger("gateway.object_store")


def open_object_store(settings: GatewaySettings) -> ObjectStore:
    """The store the settings choose (JUNCTION_OBJECT_STORE=local|s3)."""
    if settings.object_store == "s3":
        config = S3Config.from_settings(settings)
        log.info("object_store_opened", backend="s3", endpoint=config.endpoint_url, bucket=config.bucket,
                 region=config.region, path_style=config.path_style, key_prefix=config.key_prefix)
        return S3ObjectStore(config)
    log.info("object_store_opened", backend="local", root=str(settings.home / "objects"))
    return LocalObjectStore(settings.home / "objects")
