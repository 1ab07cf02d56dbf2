"""What every resource rule shares: its signature, the rejection it raises, and the facts it may be given.

Facts come from read models and are gathered by the application layer (crm.app.records.load_context):
- `taken`: {field: values already used by another live record of the workspace} for declared unique fields;
- `missing_links`: [{"pointer", "id"}] for every declared link whose target is not a live record of the workspace.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from crm.domain.record import Record
from junction_common.decisions import CommandRejected
from junction_common.envelope import CommandEnvelope

Context = dict[str, Any]
Data = Mapping[str, Any]
Rule = Callable[[CommandEnvelope, Record | None, Context], None]


class Link(NamedTuple):
    """A reference in a command to another record: where it sits, which resource it names, and its id."""

    pointer: str
    target: str
    id: str


Linker = Callable[[Data], list[Link]]


def reject(message: str, pointer: str, **details: Any) -> CommandRejected:
    return CommandRejected("VALIDATION_ERROR", message, {"pointer": pointer, **details})


def field_links(targets: Mapping[str, str]) -> Linker:
    """Links held in top-level fields: `{"queue_id": "support_queue"}`; absent or null fields link nothing."""

    def links(data: Data) -> list[Link]:
        return [Link(f"/{name}", target, str(data[name])) for name, target in targets.items() if data.get(name)]

    return links


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


def links_exist(cmd: CommandEnvelope, _: Record | None, context: Context) -> None:
    """Every record the command links to exists (and is not archived) in the workspace."""
    missing = context.get("missing_links", [])
    if missing:
        first = missing[0]
        raise reject("A linked resource does not exist in this workspace.", first["pointer"], id=first["id"],
                     missing=missing)
