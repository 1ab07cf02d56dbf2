"""What every resource rule shares: its signature, the rejection it raises, and the facts it may be given.

Facts come from read models and are gathered by the application layer (crm.app.records.load_context):
- `taken`: {field: values already used by another live record of the workspace} for declared unique fields;
- `missing_links`: [{"pointer", "id"}] for every declared link whose target is not a record of the workspace (not
  an archived one either, unless the link allows it); a link to a resource no collection holds is always missing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from crm.domain.record import Record
from crm_contracts.crm import CRM_RESOURCES
from junction_common.contracts.resources import LinkField
from junction_common.decisions import CommandRejected
from junction_common.envelope import CommandEnvelope

Context = dict[str, Any]
Data = Mapping[str, Any]
Rule = Callable[[CommandEnvelope, Record | None, Context], None]


class Link(NamedTuple):
    """A reference in a command to another record: where it sits, which resource it names, and its id.

    `live`: the record must not be archived either.
    """

    pointer: str
    target: str
    id: str
    live: bool = True


# Every id starts with its resource's prefix (`con_…` is a contact), so an id alone names its resource.
RESOURCE_BY_PREFIX: dict[str, str] = {"con": "contact", **{c.prefix: c.name for c in CRM_RESOURCES}}


def reject(message: str, pointer: str, **details: Any) -> CommandRejected:
    return CommandRejected("VALIDATION_ERROR", message, {"pointer": pointer, **details})


def _target(declared: LinkField, record_id: str, data: Data) -> str:
    """The resource a link names: its declared target, or the one its id's prefix tells, which must agree with
    the type the command gives; an unknown prefix or a contradicting type names no resource ("")."""
    if declared.target:
        return declared.target
    target = RESOURCE_BY_PREFIX.get(record_id.split("_", 1)[0], "")
    kind = data.get(declared.type_field) if declared.type_field else None
    return target if not kind or f"{declared.type_prefix}{kind}" == target else ""


def links_in(declared: tuple[LinkField, ...], data: Data) -> list[Link]:
    """Every link `data` holds in the `declared` fields, in declaration order; absent or null fields link nothing."""
    return [Link(pointer, _target(field, record_id, data), record_id, field.live)
            for field in declared for pointer, record_id in field.ids(data)]


def unique(resource: str, fields: tuple[str, ...]) -> Rule:
    """Each of `fields`, when the command sets it, is not already used by another record of the workspace."""

    def rule(cmd: CommandEnvelope, _: Record | None, context: Context) -> None:
        taken = context.get("taken", {})
        for name in fields:
            value = cmd.data.get(name)
            if value is not None and value in taken.get(name, ()):
                label = resource.replace("_", " ")
                raise reject(f"A {label} with this {name} already exists in this workspace.", f"/{name}",
                             **{name: value})

    return rule


def links_rejection(missing: list[dict[str, Any]]) -> CommandRejected:
    """The refusal of a command naming records that are not in the workspace: the first one's pointer, and all."""
    first = missing[0]
    return reject("A linked resource does not exist in this workspace.", first["pointer"], id=first["id"],
                  missing=missing)


def links_exist(cmd: CommandEnvelope, _: Record | None, context: Context) -> None:
    """Every record the command links to exists (and is not archived) in the workspace."""
    missing = context.get("missing_links", [])
    if missing:
        raise links_rejection(missing)
