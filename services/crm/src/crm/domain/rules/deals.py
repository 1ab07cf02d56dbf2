"""Deals, tasks and activities.

- deal: its stage must be an existing deal stage key of the workspace.
- deal_stage: its key is unique in the workspace.
- deal: its company and contact, when given, exist in the workspace (declared links, like every resource's:
  see junction_common.contracts and crm.domain.rules).
- task, activity: a related resource, when named, exists in the workspace (archived or not) and is of the
  related_resource_type, when that is given too (a declared link).
"""

from __future__ import annotations

from crm.domain.record import Record
from crm.domain.rules.base import Context, Rule, reject
from junction_common.envelope import CommandEnvelope


def _deal_stage_exists(cmd: CommandEnvelope, _: Record | None, context: Context) -> None:
    stage = cmd.data.get("stage")
    if stage is not None and stage not in context.get("stage_keys", ()):
        raise reject("stage must be an existing deal stage key.", "/stage", stage=stage,
                     known_stages=sorted(context.get("stage_keys", ())))


def _stage_key_unique(cmd: CommandEnvelope, state: Record | None, context: Context) -> None:
    if state is None and cmd.data.get("key") in context.get("stage_keys", ()):
        raise reject("A deal stage with this key already exists.", "/key", key=cmd.data.get("key"))


RULES: dict[str, list[Rule]] = {
    "deal": [_deal_stage_exists],
    "deal_stage": [_stage_key_unique],
}
UNIQUE: dict[str, tuple[str, ...]] = {}
