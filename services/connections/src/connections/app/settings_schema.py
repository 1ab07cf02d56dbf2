"""A provider's settings schema at work: a tenant integration's settings validated against it (JSON Schema 2020-12),
and split into the plain ones and the secret ones (`writeOnly` properties, sealed by the service)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from connections.catalogue.manifest import Manifest
from connections.presenters.integrations import settings_schema
from junction_common.web.envelope import ApiError

Doc = dict[str, Any]
MAX_ERRORS = 10


def _pointer(path: Any) -> str:
    return "/settings" + "".join(f"/{part}" for part in path)


def _problem(error: ValidationError) -> Doc:
    """Where and which rule failed, and the field names involved: never the value given (it may be a key)."""
    problem: Doc = {"pointer": _pointer(error.absolute_path), "rule": str(error.validator)}
    instance = error.instance if isinstance(error.instance, dict) else {}
    if error.validator == "required":
        problem["missing"] = [n for n in error.validator_value if n not in instance]
    if error.validator == "additionalProperties":
        known = set((error.schema.get("properties") or {}) if isinstance(error.schema, dict) else ())
        problem["unknown"] = sorted(str(n) for n in instance if n not in known)
    return problem


@dataclass(frozen=True)
class SettingsSchema:
    schema: Doc

    @classmethod
    def of(cls, manifest: Manifest) -> SettingsSchema:
        return cls(settings_schema(manifest))

    @property
    def secret_names(self) -> set[str]:
        props = self.schema.get("properties") or {}
        return {name for name, prop in props.items() if isinstance(prop, dict) and prop.get("writeOnly")}

    def validated(self, settings: Doc) -> Doc:
        """`settings` when the schema accepts them, else a VALIDATION_ERROR naming each problem (never a value)."""
        validator = Draft202012Validator(self.schema)
        errors = sorted(validator.iter_errors(settings), key=lambda e: list(e.absolute_path))[:MAX_ERRORS]
        if errors:
            problems = [_problem(e) for e in errors]
            raise ApiError("VALIDATION_ERROR", "The settings do not match the provider's settings schema.",
                           {"pointer": problems[0]["pointer"], "errors": problems})
        return settings

    def split(self, settings: Doc) -> tuple[Doc, Doc]:
        """(plain settings, secret settings)."""
        secret = self.secret_names
        return ({k: v for k, v in settings.items() if k not in secret},
                {k: v for k, v in settings.items() if k in secret})
