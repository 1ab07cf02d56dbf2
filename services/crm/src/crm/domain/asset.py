"""Asset completion.

Invariants:
- Only an asset still waiting for its upload can be completed.
- The uploaded bytes must exist and match the declared size and SHA-256; otherwise it stays pending.
"""

from __future__ import annotations

from crm.domain import record
from junction_common.decisions import CommandRejected
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent

COMPLETE = "asset.complete"


def decide_complete(cmd: CommandEnvelope, events: list[EventEnvelope]) -> list[NewEvent]:
    state = record.fold(events)
    if state is None:
        raise CommandRejected("NOT_FOUND", "The asset could not be found.")
    if state.archived or state.fields.get("status") != "upload_pending":
        raise CommandRejected("VALIDATION_ERROR", "Only an asset waiting for its upload can be completed.",
                              {"status": state.fields.get("status")})
    declared, found = cmd.data["declared"], cmd.data.get("stored")
    if not found:
        raise CommandRejected("VALIDATION_ERROR", "No bytes were uploaded for this asset.", {"pointer": "/byte_size"})
    mismatched = [k for k in ("byte_size", "checksum_sha256") if str(declared[k]).lower() != str(found[k]).lower()]
    if mismatched:
        raise CommandRejected("VALIDATION_ERROR", "The uploaded bytes do not match the declared size or checksum.",
                              {"pointer": f"/{mismatched[0]}", "mismatched": mismatched, "stored": found})
    return [record.change(state, "asset.completed", {"status": "available", "byte_size": found["byte_size"],
                                                     "checksum_sha256": found["checksum_sha256"]})]
