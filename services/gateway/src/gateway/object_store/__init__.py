"""The gateway's object store (asset bytes): the mechanism is junction_common.object_store, shared with the crm
(which keeps its BI export files in a store of its own)."""

from __future__ import annotations

from junction_common.object_store import (
    LocalObjectStore,
    ObjectStore,
    S3Config,
    S3ObjectStore,
    Stored,
    open_object_store,
    signed_urls,
)

__all__ = ["LocalObjectStore", "ObjectStore", "S3Config", "S3ObjectStore", "Stored", "open_object_store",
           "signed_urls"]
