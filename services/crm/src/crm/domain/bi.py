"""BI objects: the record lifecycle (crm.domain.record) plus what BI adds.

Invariants:
- Archiving (DELETE, or a PATCH to status `archived`) sets status `archived`; an archived object changes no more.
- A scheduled artifact's `next_run_at` is the first time after the command that its cron fires in its time
  zone; it is decided again whenever its cron or time zone changes.
- An export is completed or failed once, and only while it is pending.
"""

from __future__ import annotations

from crm.domain import record
from crm.domain.record import Record
from crm_contracts.bi import BI_EXPORT, BI_RESOURCES, BI_SCHEDULED_ARTIFACT, next_run_at
from junction_common.contracts.resources import ResourceContract
from junction_common.decisions import CommandRejected
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent

NAMES = frozenset(c.name for c in BI_RESOURCES)
COMPLETE_EXPORT = BI_EXPORT.command("complete")
FAIL_EXPORT = BI_EXPORT.command("fail")


def decide(contract: ResourceContract, cmd: CommandEnvelope, state: Record | None) -> list[NewEvent]:
    """The record decision, with archiving through status and a schedule's next run."""
    verb = cmd.type.rsplit(".", 1)[-1]
    if verb == "archive" or (verb == "update" and cmd.data.get("status") == "archived"):
        return _archive(contract, cmd, state)
    if contract.name == BI_SCHEDULED_ARTIFACT.name and verb in ("create", "update"):
        cmd = _with_next_run(cmd, state)
    return record.decide(contract, cmd, state)


def _archive(contract: ResourceContract, cmd: CommandEnvelope, state: Record | None) -> list[NewEvent]:
    rest = {k: v for k, v in cmd.data.items() if k != "status"}
    update = cmd.model_copy(update={"type": contract.command("update"), "data": rest})
    events = record.decide(contract, update, state) if rest else []
    if state is None:
        raise CommandRejected("NOT_FOUND", f"The {contract.name.replace('_', ' ')} could not be found.")
    if state.archived:
        return events
    updated = record.after(state, "updated", events[0].data["changes"]) if events else state
    return [*events, record.change(updated, f"{contract.name}.archived", {"status": "archived"})]


def _with_next_run(cmd: CommandEnvelope, state: Record | None) -> CommandEnvelope:
    if state is not None and "cron" not in cmd.data and "timezone" not in cmd.data:
        return cmd
    fields = {**(state.fields if state else {}), **cmd.data}
    when = next_run_at(str(fields["cron"]), str(fields.get("timezone") or "UTC"), cmd.issued_at)
    return cmd.model_copy(update={"data": {**cmd.data, "next_run_at": when.isoformat()}})


def decide_export_result(cmd: CommandEnvelope, events: list[EventEnvelope]) -> list[NewEvent]:
    """`bi_export.complete` / `bi_export.fail`: a pending export becomes completed or failed, once."""
    state = record.fold(events)
    if state is None:
        raise CommandRejected("NOT_FOUND", "The export could not be found.")
    if state.fields.get("status") != "pending":
        raise CommandRejected("VALIDATION_ERROR", "The export is no longer pending.",
                              {"status": state.fields.get("status")})
    status = "completed" if cmd.type == COMPLETE_EXPORT else "failed"
    return [record.change(state, f"{BI_EXPORT.name}.{status}",
                          {**cmd.data, "status": status, "finished_at": cmd.issued_at.isoformat()})]
