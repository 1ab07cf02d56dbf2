"""Deals, tasks and activities.

- deal: its stage must be an existing deal stage key of the workspace.
- deal_stage: its key is unique in the workspace.
- task, activity: a related resource, when named, must exist in the workspace.
"""

from __future__ import annotations

from crm.domain.record import Record
from crm.domain.rules.base import Context, Linker, Rule, reject
from junction_common.envelope import CommandEnvelope


def _deal_stage_exists(cmd: CommandEnvelope, _: Record | None, context: Context) -> None:
    stage = cmd.data.get("stage")
    if stage is not None and stage not in context.get("stage_keys", ()):
        raise reject("stage must be an existing deal stage key.", "/stage", stage=stage,
                     known_stages=sorted(context.get("stage_keys", ())))


def _stage_key_unique(cmd: CommandEnvelope, state: Record | None, context: Context) -> None:
    if state is None and cmd.data.get("key") in context.get("stage_keys", ()):
        raise reject("A deal stage with this key already exists.", "/key", key=cmd.data.get("key"))


def _related_exists(cmd: CommandEnvelope, _: Record | None, context: Context) -> None:
    if cmd.data.get("related_resource_id") and not context.get("related_exists", False):
        raise reject("The related resource does not exist in this workspace.", "/related_resource_id",
                     id=cmd.data.get("related_resource_id"))


RULES: dict[str, list[Rule]] = {
    "deal": [_deal_stage_exists],
    "deal_stage": [_stage_key_unique],
    "task": [_related_exists],
    "activity": [_related_exists],
}
UNIQUE: dict[str, tuple[str, ...]] = {}
LINKS: dict[str, Linker] = {}
