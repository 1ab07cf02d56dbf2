"""Resource rules beyond the generic record lifecycle, one module per area; each rule is pure.

A resource's rules run in this order: its unique fields (`UNIQUE`), its own rules (`RULES`), then its links
(`LINKS`: every record it names exists in the workspace). The facts they need arrive as `context`
(see crm.domain.rules.base); `links_of` and `UNIQUE` tell the application layer which facts to gather.
"""

from __future__ import annotations

from types import ModuleType

from crm.domain.record import Record
from crm.domain.rules import accounting, analytics, bi, cms, cms_entries, deals, support
from crm.domain.rules.base import Context, Data, Link, Linker, Rule, links_exist, unique
from junction_common.envelope import CommandEnvelope

AREAS: tuple[ModuleType, ...] = (deals, support, accounting, cms, cms_entries, analytics, bi)
UNIQUE: dict[str, tuple[str, ...]] = {k: v for area in AREAS for k, v in area.UNIQUE.items()}
LINKS: dict[str, Linker] = {k: v for area in AREAS for k, v in area.LINKS.items()}


def _assemble() -> dict[str, list[Rule]]:
    own: dict[str, list[Rule]] = {k: v for area in AREAS for k, v in area.RULES.items()}
    rules: dict[str, list[Rule]] = {}
    for resource in {*own, *UNIQUE, *LINKS}:
        rules[resource] = [
            *([unique(resource, UNIQUE[resource])] if resource in UNIQUE else []),
            *own.get(resource, []),
            *([links_exist] if resource in LINKS else []),
        ]
    return rules


RULES = _assemble()


def links_of(resource: str, data: Data) -> list[Link]:
    """The records a command for `resource` names, each of which must exist in the workspace."""
    linker = LINKS.get(resource)
    return linker(data) if linker else []


def check(resource: str, cmd: CommandEnvelope, state: Record | None, context: Context) -> None:
    for rule in RULES.get(resource, ()):
        rule(cmd, state, context)


__all__ = ["RULES", "UNIQUE", "Context", "Link", "check", "links_of"]
