"""Analytics governance: event and property definitions.

- analytics_event: its name is unique in the workspace; it lists each property once.
- analytics_property: its key is unique in the workspace.
"""

from __future__ import annotations

from crm.domain.record import Record
from crm.domain.rules.base import Context, Rule, reject
from junction_common.envelope import CommandEnvelope


def _properties_listed_once(cmd: CommandEnvelope, _: Record | None, __: Context) -> None:
    seen: set[str] = set()
    for index, key in enumerate(cmd.data.get("properties") or ()):
        if key in seen:
            raise reject("An event definition lists each property once.", f"/properties/{index}", key=key)
        seen.add(key)


RULES: dict[str, list[Rule]] = {"analytics_event": [_properties_listed_once]}
UNIQUE: dict[str, tuple[str, ...]] = {"analytics_event": ("name",), "analytics_property": ("key",)}
