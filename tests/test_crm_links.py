"""Every id in a request body names a record of the caller's workspace: a missing record or another workspace's
is a 422 VALIDATION_ERROR whose pointer is the field, on create and on every update that sets the field.

The cases are built from the declarations (`ResourceContract.links`, `CONTACT_LINKS`), so a link declared
tomorrow is tested tomorrow; and every `*_id` / `*_ids` field of every request model must be a declared link,
so a field holding an id that nobody declared fails here.
"""

from __future__ import annotations

import types
import typing
from typing import Any

import pytest
from pydantic import BaseModel

from crm_contracts.common import PERSON_ID_FIELDS
from crm_contracts.crm import CONTACT_LINKS, CRM_RESOURCES
from gateway.routes.contacts import ContactCreate
from junction_common.contracts.resources import LinkField, ResourceContract
from tests.crm_records import BODIES, BY_NAME, FALLBACK, PATHS, PREFIXES, Shared, Workspace, shared

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]
__all__ = ["shared"]  # the module-wide stack fixture

DECLARED: dict[str, tuple[LinkField, ...]] = {"contact": CONTACT_LINKS,
                                              **{c.name: c.links for c in CRM_RESOURCES if c.links}}
MODELS: dict[str, list[type[BaseModel]]] = {
    "contact": [ContactCreate],
    **{c.name: [m for m in (c.create_model, c.update_model) if m is not None] for c in CRM_RESOURCES},
}


def _models_in(annotation: Any) -> tuple[list[type[BaseModel]], bool]:
    """The models an annotation holds (through Optional, unions, Annotated, lists) and whether it is a list."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation], False
    if origin in (list, tuple):
        return [m for arg in args for m in _models_in(arg)[0]], True
    if origin in (typing.Union, types.UnionType, typing.Annotated):
        found = [_models_in(arg) for arg in args]
        return [m for models, _ in found for m in models], any(many for _, many in found)
    return [], False


def id_fields(model: type[BaseModel], at: str = "") -> set[str]:
    """The JSON pointers (`*` for list items) of every `*_id` / `*_ids` field of `model` and its nested models."""
    found: set[str] = set()
    for name, info in model.model_fields.items():
        pointer = f"{at}/{info.alias or name}"
        models, many = _models_in(info.annotation)
        if name.endswith(("_id", "_ids")) and not models:
            found.add(f"{pointer}/*" if many else pointer)
        for nested in models:
            found |= id_fields(nested, f"{pointer}/*" if many else pointer)
    return found


def test_every_id_field_of_a_request_is_a_declared_link() -> None:
    undeclared = {}
    for resource, models in MODELS.items():
        contract = BY_NAME.get(resource)
        parent = {f"/{contract.parent_param}"} if contract and contract.parent_param else set()
        declared = {link.path for link in DECLARED.get(resource, ())} | parent
        fields = set().union(*(id_fields(m) for m in models))
        people = {f"/{name}" for name in PERSON_ID_FIELDS}
        if fields - declared - people:
            undeclared[resource] = sorted(fields - declared - people)
    assert not undeclared, f"id fields that are no declared link: {undeclared}"


def _target(resource: str, link: LinkField) -> tuple[str, dict[str, Any]]:
    """The resource a case links to, and what else the body says about it (the type, for a prefix-told link)."""
    if link.target:
        return link.target, {}
    assert link.type_field, (resource, link)
    model = BY_NAME[resource].create_model if resource in BY_NAME else ContactCreate
    kinds = model.model_fields[link.type_field].annotation
    if typing.get_origin(kinds) is not typing.Literal:  # `Literal[...] | None`
        kinds = typing.get_args(kinds)[0]
    [kind, *_] = typing.get_args(kinds)
    return f"{link.type_prefix}{kind}", {link.type_field: kind}


def with_link(body: dict[str, Any], path: str, value: str) -> tuple[dict[str, Any], str]:
    """`body` with the id at `path` set to `value` (the first item for a list); returns it and the pointer."""
    parts = path.strip("/").split("/")
    body = dict(body)
    node: Any = body
    pointer = ""
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part == "*":
            key: Any = 0
            if not node:
                node.append({} if not last else value)
        else:
            key = part
        pointer += f"/{key}"
        if last:
            node[key] = value
        else:
            nxt = node.get(key) if isinstance(node, dict) else node[key]
            nxt = (list(nxt) if parts[i + 1] == "*" else dict(nxt)) if nxt else ([] if parts[i + 1] == "*" else {})
            node[key] = nxt
            node = nxt
    return body, pointer


def _cases() -> list[Any]:
    cases = []
    for resource, links in DECLARED.items():
        contract: ResourceContract | None = BY_NAME.get(resource)
        update = contract.update_model if contract and contract.operations.update else None
        for link in links:
            for whose in ("missing", "other workspace's"):
                cases.append(pytest.param(resource, link, "POST", whose, id=f"{resource}-POST{link.path}-{whose}"))
                if update is not None and link.path.strip("/").split("/")[0] in update.model_fields:
                    cases.append(pytest.param(resource, link, "PATCH", whose,
                                              id=f"{resource}-PATCH{link.path}-{whose}"))
    return cases


async def _bad_id(s: Shared, target: str, whose: str) -> str:
    return f"{PREFIXES[target]}_missing" if whose == "missing" else await s.other.record(target)


async def _base(mine: Workspace, resource: str, verb: str) -> tuple[dict[str, Any], str]:
    if verb == "PATCH":
        return {}, f"{PATHS[resource]}/{await mine.record(resource)}"
    return await mine.resolve(BODIES[resource]()), PATHS[resource]


@pytest.mark.parametrize(("resource", "link", "verb", "whose"), _cases())
async def test_a_link_outside_the_workspace_is_refused_at_its_field(shared: Shared, resource: str, link: LinkField,
                                                                    verb: str, whose: str) -> None:
    target, about = _target(resource, link)
    body, path = await _base(shared.mine, resource, verb)
    body, pointer = with_link({**body, **about}, link.path, await _bad_id(shared, target, whose))
    status, answer = await shared.mine.send(verb, path, body)
    assert status == 422 and answer["error"]["code"] == "VALIDATION_ERROR", (body, answer)
    assert answer["error"]["details"]["pointer"] == pointer, answer


@pytest.mark.parametrize("resource", sorted(DECLARED))
async def test_links_inside_the_workspace_are_accepted(shared: Shared, resource: str) -> None:
    """The same bodies with every declared link naming a record of the caller's workspace are created."""
    body = BODIES[resource]() or FALLBACK[resource]()
    for link in DECLARED[resource]:
        target, about = _target(resource, link)
        if resource != "bi_export" or link.path == "/dataset_id":  # an export takes exactly one source
            body, _ = with_link({**body, **about}, link.path, await shared.mine.record(target))
    assert (await shared.mine.create(resource, body)).startswith(PREFIXES[resource] + "_")
