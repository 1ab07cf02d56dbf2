"""Resource rules beyond the generic record lifecycle, one module per area; each rule is pure.

A resource's rules run in this order: its unique fields (`UNIQUE`), its own rules (`RULES`), then its links
(every record it names exists in the workspace). Links are declared with the resource
(`ResourceContract.links` and its `parent`; contacts: `CONTACT_LINKS`), so a field that names a record is
checked on create and on every update that sets it. The facts the rules need arrive as `context`
(see crm.domain.rules.base); `links_of` and `UNIQUE` tell the application layer which facts to gather.
"""

from __future__ import annotations

from types import ModuleType

from crm.domain.record import Record
from crm.domain.rules import accounting, analytics, bi, cms, cms_entries, deals, support
from crm.domain.rules.base import Context, Data, Link, Rule, links_exist, links_in, links_rejection, unique
from crm_contracts.crm import CONTACT_LINKS, CRM_RESOURCES
from junction_common.contracts.resources import LinkField, ResourceContract
from junction_common.envelope import CommandEnvelope

AREAS: tuple[ModuleType, ...] = (deals, support, accounting, cms, cms_entries, analytics, bi)
UNIQUE: dict[str, tuple[str, ...]] = {k: v for area in AREAS for k, v in area.UNIQUE.items()}


def _declared(contract: ResourceContract) -> tuple[LinkField, ...]:
    parent = (LinkField(f"/{contract.parent_param}", contract.parent),) if contract.parent_param and contract.parent \
        else ()
    return (*contract.links, *parent)


LINKS: dict[str, tuple[LinkField, ...]] = {
    "contact": CONTACT_LINKS,
    **{c.name: _declared(c) for c in CRM_RESOURCES if _declared(c)},
}


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
    return links_in(LINKS.get(resource, ()), data)


def check(resource: str, cmd: CommandEnvelope, state: Record | None, context: Context) -> None:
    for rule in RULES.get(resource, ()):
        rule(cmd, state, context)


__all__ = ["LINKS", "RULES", "UNIQUE", "Context", "Link", "check", "links_of", "links_rejection"]
