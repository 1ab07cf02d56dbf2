"""Which catalogued operations a service serves, declared in its contract package.

The gateway routes every operation of the API references (its catalogue); one no service serves answers 501.
A service takes an operation over by declaring it here, in its contract package, under the
`junction.operations` entry points (`<service> = "<pkg>.routes:SERVED"`): the gateway then checks the caller
(authentication, the catalogue's scopes and roles, the declared query and body models) and forwards the call
to the service's internal API at `/internal` + the public path. A new service adds declarations, not gateway
code.

An operation of Junction's own, beyond the references (registering a custom provider, restoring a cursor),
declares its HTTP facts too (`route=Route(...)`): the gateway routes it like a documented one, and the OpenAPI
document marks it `x-seeds: ["junction"]`.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points

from pydantic import BaseModel


@dataclass(frozen=True)
class Route:
    """The HTTP facts of an operation the references do not document, as the catalogue gives them for those
    they do: method, path (FastAPI `{param}` syntax), the scopes a key needs, who may call."""

    method: str
    path: str
    summary: str
    tag: str
    scopes: tuple[str, ...]
    scopes_any: bool = False
    admin_only: bool = False
    # api_key (the norm), webhook_token (a token in the path is the credential), oauth_state.
    auth: str = "api_key"
    idempotency: bool = False
    no_store: bool = False


@dataclass(frozen=True)
class Served:
    """One operation (by the catalogue's operation id) and the models the edge validates before forwarding;
    `route` only for an operation of Junction's own (not in the references)."""

    operation_id: str
    service: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    route: Route | None = None


def served_operations() -> dict[str, Served]:
    """Every operation any installed service declares it serves, by operation id."""
    found: dict[str, Served] = {}
    for ep in entry_points(group="junction.operations"):
        for served in ep.load():
            if served.operation_id in found:
                raise ValueError(f"{served.operation_id} is declared twice ({found[served.operation_id].service}, "
                                 f"{served.service})")
            found[served.operation_id] = served
    return found
