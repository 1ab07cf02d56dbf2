"""The catalogue of every operation the five API references document (`operations.json`, curated by hand).

Each entry names its seed(s), method and full path (FastAPI `{param}` syntax), operation id, the scopes a key
needs (all of them, or any one when `scopes_any`), the owning service and the reference's examples. The gateway
routes every entry: services implement them one by one; the rest answer 501 (routes/catalogue_routes.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from junction_common.contracts.operations import Served

SEEDS = ("workspace-api", "connect-api", "pipelines-api", "workflow-api", "integrations-api")
# The `seed` of an operation of Junction's own, declared with its route by the service that serves it.
EXTENSION_SEED = "junction"
SERVICES = ("gateway", "connections", "sync", "flows", "webhooks", "crm")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# How a caller proves who it is: an API key (the norm), the connection's webhook token in the path, or the
# signed OAuth `state` of a provider's redirect (a browser carries no API key there).
AUTH_KINDS = ("api_key", "webhook_token", "oauth_state")
ADMIN_ROLES = ("OWNER", "ADMIN")

_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_REQUIRED = ("seed", "seeds", "operation_id", "method", "path", "summary", "tag", "service", "scopes",
             "scopes_any", "auth", "idempotency", "body", "no_store", "admin_only", "request_example",
             "response_example")
_OPTIONAL = ("extra_request_examples", "extra_response_examples", "path_aliases")


def path_shape(path: str) -> str:
    """`/v1/webhooks/{webhook_id}` -> `/v1/webhooks/{}`: two paths route alike when their shapes are equal."""
    return _PARAM.sub("{}", path)


@dataclass(frozen=True)
class Operation:
    """One documented operation and what the gateway needs to route and guard it."""

    seed: str
    seeds: tuple[str, ...]
    operation_id: str
    method: str
    path: str
    summary: str
    tag: str
    service: str
    scopes: tuple[str, ...]
    scopes_any: bool
    auth: str
    idempotency: bool
    body: bool
    no_store: bool
    admin_only: bool
    request_example: Any
    response_example: Any
    extra_request_examples: Mapping[str, Any] = field(default_factory=dict)
    extra_response_examples: Mapping[str, Any] = field(default_factory=dict)
    path_aliases: tuple[str, ...] = ()

    @property
    def path_params(self) -> tuple[str, ...]:
        return tuple(_PARAM.findall(self.path))

    @property
    def key(self) -> tuple[str, str]:
        """(method, path shape): unique across the catalogue."""
        return self.method, path_shape(self.path)

    @property
    def requires_api_key(self) -> bool:
        return self.auth == "api_key"

    def scopes_satisfied(self, has_scope: Any) -> bool:
        """`has_scope(scope) -> bool` of the caller: all listed scopes, or any one of them when `scopes_any`."""
        if not self.scopes:
            return True
        checks = (bool(has_scope(s)) for s in self.scopes)
        return any(checks) if self.scopes_any else all(checks)


def _operation(raw: dict[str, Any]) -> Operation:
    missing = [k for k in _REQUIRED if k not in raw]
    unknown = [k for k in raw if k not in _REQUIRED and k not in _OPTIONAL]
    name = raw.get("operation_id", "?")
    if missing or unknown:
        raise ValueError(f"catalogue entry {name}: missing {missing}, unknown {unknown}")
    op = Operation(
        seed=raw["seed"], seeds=tuple(raw["seeds"]), operation_id=raw["operation_id"], method=raw["method"],
        path=raw["path"], summary=raw["summary"], tag=raw["tag"], service=raw["service"],
        scopes=tuple(raw["scopes"]), scopes_any=bool(raw["scopes_any"]), auth=raw["auth"],
        idempotency=bool(raw["idempotency"]), body=bool(raw["body"]), no_store=bool(raw["no_store"]),
        admin_only=bool(raw["admin_only"]), request_example=raw["request_example"],
        response_example=raw["response_example"],
        extra_request_examples=dict(raw.get("extra_request_examples", {})),
        extra_response_examples=dict(raw.get("extra_response_examples", {})),
        path_aliases=tuple(raw.get("path_aliases", ())),
    )
    problems = _problems(op)
    if problems:
        raise ValueError(f"catalogue entry {name}: {', '.join(problems)}")
    return op


def _problems(op: Operation) -> list[str]:
    problems = [f"unknown seed {s}" for s in (op.seed, *op.seeds) if s not in SEEDS]
    if op.seed not in op.seeds:
        problems.append("seed is not listed in seeds")
    if op.method not in METHODS:
        problems.append(f"method {op.method}")
    if op.service not in SERVICES:
        problems.append(f"service {op.service}")
    if op.auth not in AUTH_KINDS:
        problems.append(f"auth {op.auth}")
    if op.requires_api_key and not op.scopes:
        problems.append("an API-key operation needs scopes")
    if not op.path.startswith("/") or any(not a.startswith("/") for a in op.path_aliases):
        problems.append("paths start with /")
    return problems


@lru_cache(maxsize=1)
def _load() -> tuple[Operation, ...]:
    text = resources.files("gateway.catalogue").joinpath("operations.json").read_text(encoding="utf-8")
    ops = tuple(_operation(raw) for raw in json.loads(text))
    for attr in ("operation_id", "key"):
        seen: set[Any] = set()
        for op in ops:
            value = getattr(op, attr)
            if value in seen:
                raise ValueError(f"catalogue: duplicate {attr} {value}")
            seen.add(value)
    return ops


def load_operations() -> list[Operation]:
    """Every catalogued operation, in the order of the references."""
    return list(_load())


def extension_operations(served: Mapping[str, Served]) -> list[Operation]:
    """The operations of Junction's own that services declare with their routes, checked like catalogued ones
    (and never on a documented operation's method and path)."""
    taken = {op.key for op in _load()} | {op.operation_id for op in _load()}
    found: list[Operation] = []
    for item in served.values():
        route = item.route
        if route is None:
            continue
        op = Operation(seed=EXTENSION_SEED, seeds=(EXTENSION_SEED,), operation_id=item.operation_id,
                       method=route.method, path=route.path, summary=route.summary, tag=route.tag,
                       service=item.service, scopes=route.scopes, scopes_any=route.scopes_any, auth=route.auth,
                       idempotency=route.idempotency, body=item.body is not None, no_store=route.no_store,
                       admin_only=route.admin_only, request_example=None, response_example=None)
        problems = [p for p in _problems(op) if not p.startswith("unknown seed")]
        if op.key in taken or op.operation_id in taken:
            problems.append("it takes a documented operation's id or method and path")
        if problems:
            raise ValueError(f"extension operation {op.operation_id}: {', '.join(problems)}")
        taken |= {op.key, op.operation_id}
        found.append(op)
    return found


__all__ = ["ADMIN_ROLES", "AUTH_KINDS", "EXTENSION_SEED", "SEEDS", "SERVICES", "Operation", "extension_operations",
           "load_operations", "path_shape"]
