"""Pure: an action's inputs checked against its JSON Schema, and the proxy call they make."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

Doc = dict[str, Any]
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
BODYLESS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})
MAX_ERRORS = 20


def input_errors(schema: Doc, inputs: Doc) -> list[Doc]:
    """Every way `inputs` break the action's schema: `{field, message, rule}` (field as a dot path, `` for the
    whole object); a schema that is itself broken is reported as one error."""
    try:
        Draft202012Validator.check_schema(schema)
        validator = Draft202012Validator(schema)
        found = sorted(validator.iter_errors(inputs), key=lambda e: list(e.absolute_path))[:MAX_ERRORS]
    except SchemaError as exc:
        return [{"field": "", "message": f"the action's input schema is invalid: {exc.message}", "rule": "schema"}]
    return [{"field": ".".join(str(p) for p in e.absolute_path), "message": e.message, "rule": str(e.validator)}
            for e in found]


def proxy_body(action: Doc, inputs: Doc, idempotency_key: str) -> Doc:
    """The proxy call of `action` (its manifest view) with `inputs`: `{placeholder}`s in its path filled from the
    inputs (URL-encoded), the rest sent as the query of a body-less method or as the JSON body otherwise."""
    used: set[str] = set()

    def fill(match: re.Match[str]) -> str:
        used.add(match.group(1))
        return quote(str(inputs.get(match.group(1), "")), safe="")

    method = str(action["method"]).upper()
    path = PLACEHOLDER.sub(fill, str(action["path"]))
    rest = {k: v for k, v in inputs.items() if k not in used}
    body: Doc = {"method": method, "path": path, "headers": {"Idempotency-Key": idempotency_key}}
    if method in BODYLESS:
        if rest:
            body["query"] = {k: v if isinstance(v, str) else _text(v) for k, v in rest.items()}
    else:
        body["body"] = rest
    return body


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
