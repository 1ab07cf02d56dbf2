"""Which catalogued operations a service serves, declared in its contract package.

The gateway routes every operation of the API references (its catalogue); one no service serves answers 501.
A service takes an operation over by declaring it here, in its contract package, under the
`junction.operations` entry points (`<service> = "<pkg>.routes:SERVED"`): the gateway then checks the caller
(authentication, the catalogue's scopes and roles, the declared query and body models) and forwards the call
to the service's internal API at `/internal` + the public path. A new service adds declarations, not gateway
code.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points

from pydantic import BaseModel


@dataclass(frozen=True)
class Served:
    """One operation (by the catalogue's operation id) and the models the edge validates before forwarding."""

    operation_id: str
    service: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None


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
