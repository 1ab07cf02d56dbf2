"""The server under test, and the known quirks of each kind of server.

A quirk is a MongoDB behaviour Junction relies on (or would like to) that a server does not have. A case
that meets one runs anyway: if the quirk shows, the case is skipped with its named reason; if the server
now behaves like MongoDB, the case fails so the quirk is removed from this table (and from
docs/operations.md, "Storage contract and server quirks").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from pymongo.errors import PyMongoError

NX = "nx-27017"
FERRETDB = "ferretdb"
MONGODB = "mongodb"

QUIRKS: dict[str, dict[str, str]] = {
    NX: {
        "datetime_via_set": "nx-27017 0.8.1: a datetime written with $set into an existing document reads back "
                            "as a string",
        "datetime_range": "nx-27017 0.8.1: find, update and delete filtered with $lt/$lte/$gt/$gte on a datetime "
                          "compare whole seconds (count_documents compares exactly)",
        "find_one_and_update_set_on_insert": "nx-27017 0.8.1: find_one_and_update with upsert ignores "
                                             "$setOnInsert (the inserted document lacks those fields)",
        "rename": "nx-27017 0.8.1: renameCollection answers ok but moves nothing (the documents stay under "
                  "the old name, the new name is empty)",
        "update_ne_missing_field": "nx-27017 0.8.1: an update filtered with $ne does not match a document "
                                   "that lacks the field (find does)",
        "push_document": "nx-27017 0.8.1: $push and $addToSet store a document as a JSON string",
        "replace_upsert_id": "nx-27017 0.8.1: replace_one upsert whose replacement has no _id inserts an "
                             "ObjectId instead of the filter's _id",
        "integer_id_update": "nx-27017 0.8.1: with integer _ids, an update whose filter has $in on another "
                             "field changes the wrong documents (or none)",
        "compound_index": "nx-27017 0.8.1: a compound index is not used (the query scans the collection)",
        "in_on_indexed_field": "nx-27017 0.8.1: $in on a field other than _id scans, even with an index on it",
    },
    FERRETDB: {
        "rename_drop_target": "FerretDB 1.24: renameCollection with dropTarget is not implemented (code 238)",
    },
    MONGODB: {},
}


@dataclass(frozen=True)
class Server:
    kind: str
    version: str

    def __str__(self) -> str:
        return f"{self.kind} {self.version}"

    def quirk(self, name: str) -> str | None:
        return QUIRKS.get(self.kind, {}).get(name)

    @contextmanager
    def unless_quirk(self, name: str) -> Iterator[None]:
        """Run the block; on a server with quirk `name`, a failure skips with the quirk's reason."""
        reason = self.quirk(name)
        if reason is None:
            yield
            return
        try:
            yield
        except (AssertionError, PyMongoError):
            pytest.skip(reason)
        pytest.fail(f"{self} behaves like MongoDB here now; remove the quirk {name!r} ({reason})")


def server_from(info: dict[str, str]) -> Server:
    """From `junction_common.infra.mongo.identify`'s answer (buildInfo: FerretDB names itself with
    `ferretdbVersion`, nx-27017 with `process: nx_27017`; anything else is taken for MongoDB)."""
    kind = info.get("kind", MONGODB)
    return Server(kind if kind in QUIRKS else MONGODB, info.get("version", "?"))
