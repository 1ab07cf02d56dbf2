"""A declared resource's list parameters, as FastAPI signature parameters.

The gateway declares them (OpenAPI, validation at the edge) and the owning service serves them: both build
them from the one declaration here, so the two never drift apart.
"""

from __future__ import annotations

import inspect
from typing import Annotated, Any, Literal

from fastapi import Path, Query

from junction_common.contracts.resources import ResourceContract

ID_PATTERN = r"^[a-z]+_[A-Za-z0-9]+$"
_KEY = r"^[A-Za-z0-9_]{1,64}$"


def keyword(name: str, annotation: Any, default: Any = None) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


def list_parameters(contract: ResourceContract) -> list[inspect.Parameter]:
    """`limit`, `cursor`, `query` (when searchable), each declared filter and the custom-field filter."""
    params = [keyword("limit", Annotated[int, Query(ge=1, le=100)], 25),
              keyword("cursor", Annotated[str | None, Query(max_length=512)])]
    if contract.search_fields:
        params.append(keyword("query", Annotated[str | None, Query(max_length=200)]))
    for f in contract.filters:
        kind: Any = Literal[f.values] if f.values else str
        params.append(keyword(f.name, Annotated[kind | None, Query(max_length=64)]))
    if contract.custom_fields:
        params.append(keyword("custom_field_key", Annotated[str | None, Query(pattern=_KEY)]))
        params.append(keyword("custom_field_value", Annotated[str | None, Query(max_length=200)]))
    return params


def parent_parameters(contract: ResourceContract) -> list[inspect.Parameter]:
    """The parent's path parameter of a nested resource (none for a top-level one)."""
    if contract.parent_param is None:
        return []
    return [keyword(contract.parent_param, Annotated[str, Path(max_length=64, pattern=ID_PATTERN)],
                    inspect.Parameter.empty)]
