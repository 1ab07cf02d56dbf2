"""Deals, tasks and activities.

- deal: its stage must be an existing deal stage key of the workspace.
- deal_stage: its key is unique in the workspace.
- task, activity: a related resource, when named, exists in the workspace (archived or not) and is of the
  related_resource_type, when that is given too.
"""

from __future__ import annotations

from crm.domain.record import Record
from crm.domain.rules.base import Context, Linker, Rule, prefixed_link, reject
from junction_common.envelope import CommandEnvelope


def _deal_stage_exists(cmd: CommandEnvelope, _: Record | None, context: Context) -> None:
    stage = cmd.data.get("stage")
    if stage is not None and stage not in context.get("stage_keys", ()):
        raise reject("stage must be an existing deal stage key.", "/stage", stage=stage,
                     known_stages=sorted(context.get("stage_keys", ())))


def _stage_key_unique(cmd: CommandEnvelope, state: Record | None, context: Context) -> None:
    if state is None and cmd.data.get("key") in context.get("stage_keys", ()):
        raise reject("A deal stage with this key already exists.", "/key", key=cmd.data.get("key"))


# A task or activity may still be about an archived record (a closed deal, an archived contact).
_RELATED = prefixed_link("related_resource_id", "related_resource_type", live=False)

RULES: dict[str, list[Rule]] = {
    "deal": [_deal_stage_exists],
    "deal_stage": [_stage_key_unique],
}
UNIQUE: dict[str, tuple[str, ...]] = {}
LINKS: dict[str, Linker] = {"task": _RELATED, "activity": _RELATED}
