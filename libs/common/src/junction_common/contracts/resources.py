"""A resource declaration: one place that says a resource's id prefix, shapes, filters, search and events.

The gateway builds routes from it; the owning service builds commands, events and its projection from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel


@dataclass(frozen=True)
class Filter:
    """A list filter: `?name=value` matches `field` (an enum when `values` is given, else an id or text)."""

    name: str
    values: tuple[str, ...] = ()
    field: str = ""

    @property
    def doc_field(self) -> str:
        return self.field or self.name


@dataclass(frozen=True)
class LinkField:
    """A request field holding the id of another record, which must be a record of the caller's workspace.

    `path` is a JSON pointer where `*` stands for every item of a list (`/metric_ids/*`, `/lines/*/account_id`).
    `target` is the resource it names; empty when the id's prefix tells (`related_resource_id`): then `type_field`,
    when the body sets it, must name that same resource (`type_prefix` + its value). `live`: an archived record
    does not count.
    """

    path: str
    target: str = ""
    type_field: str | None = None
    type_prefix: str = ""
    live: bool = True

    def ids(self, data: Mapping[str, Any]) -> list[tuple[str, str]]:
        """(pointer, id) of every id this link holds in `data`; an absent or null field holds none."""
        found: list[tuple[str, Any]] = [("", data)]
        for part in self.path.strip("/").split("/"):
            deeper: list[tuple[str, Any]] = []
            for pointer, value in found:
                if part == "*" and isinstance(value, list):
                    deeper += [(f"{pointer}/{i}", item) for i, item in enumerate(value)]
                elif isinstance(value, Mapping) and value.get(part) not in (None, ""):
                    deeper.append((f"{pointer}/{part}", value[part]))
            found = deeper
        return [(pointer, str(value)) for pointer, value in found if value not in (None, "")]


@dataclass(frozen=True)
class Operations:
    """The operation ids the reference gives each route of the resource (None: not documented)."""

    list: str | None = None
    create: str | None = None
    get: str | None = None
    update: str | None = None
    archive: str | None = None


@dataclass(frozen=True)
class ResourceContract:
    """Everything generic about one resource; business rules are written by hand in its service."""

    name: str  # event prefix and aggregate name: `lead` -> lead.created, lead.updated, lead.archived
    prefix: str  # id prefix: lead_...
    path: str  # collection path under the API base, e.g. /v1/leads
    collection: str  # projection collection in the service's database
    create_model: type[BaseModel]
    update_model: type[BaseModel] | None = None
    operations: Operations = field(default_factory=Operations)
    read_scope: str = "crm:read"
    write_scope: str = "crm:write"
    filters: tuple[Filter, ...] = ()
    search_fields: tuple[str, ...] = ()
    custom_fields: bool = False
    defaults: dict[str, Any] = field(default_factory=dict)
    service: str = "crm"
    tag: str = ""
    # Every field of its request bodies (create and update) that names another record of the workspace.
    links: tuple[LinkField, ...] = ()
    # A nested resource (`/v1/support/tickets/{ticket_id}/messages`): the path parameter naming its parent,
    # stored under the same field name and used to scope its list, and the parent's resource name (a parent
    # missing from the caller's workspace makes every nested route NOT_FOUND).
    parent_param: str | None = None
    parent: str | None = None

    @property
    def events_topic(self) -> str:
        return f"{self.service}.{self.name}.events"

    @property
    def commands_topic(self) -> str:
        return f"{self.service}.commands"

    @property
    def archived_status(self) -> bool:
        """Whether `archived` is one of the documented statuses (archiving then sets status=archived)."""
        return any(f.name == "status" and "archived" in f.values for f in self.filters)

    def command(self, verb: str) -> str:
        """`lead`, `create` -> `lead.create`; the event is `lead.created`."""
        return f"{self.name}.{verb}"
