"""The pure step types: each takes its node's config and the template context and gives (output, branch).

transform renders its `output`; filter / if evaluate `condition`; switch evaluates `value` and picks the case
of that value (else `default`); set_variable renders `value` into `vars.<name>`; respond_to_webhook renders
the answer a webhook trigger gives; stop_error fails the execution with its rendered message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flows.steps.errors import StepError
from flows.templating.expressions import evaluate, render

Result = tuple[Any, str | None]


def transform(config: dict[str, Any], ctx: dict[str, Any]) -> Result:
    return render(config.get("output"), ctx), None


def condition(config: dict[str, Any], ctx: dict[str, Any]) -> Result:
    passed = bool(evaluate(str(config["condition"]), ctx))
    return {"result": passed}, "true" if passed else "false"


def filter_(config: dict[str, Any], ctx: dict[str, Any]) -> Result:
    passed = bool(evaluate(str(config["condition"]), ctx))
    return {"passed": passed}, None if passed else "stop"


def switch(config: dict[str, Any], ctx: dict[str, Any]) -> Result:
    value = evaluate(str(config["value"]), ctx)
    cases = [str(c) for c in config.get("cases") or []]
    branch = str(value) if str(value) in cases else "default"
    return {"value": value, "case": branch}, branch


def set_variable(config: dict[str, Any], ctx: dict[str, Any]) -> Result:
    return {"name": config["name"], "value": render(config.get("value"), ctx)}, None


def respond(config: dict[str, Any], ctx: dict[str, Any]) -> Result:
    return {"status": config.get("status", 200), "body": render(config.get("body"), ctx),
            "headers": render(config.get("headers") or {}, ctx)}, None


def stop_error(config: dict[str, Any], ctx: dict[str, Any]) -> Result:
    raise StepError("stop", str(config.get("code") or "STOPPED"), str(render(config.get("message", "stopped"), ctx)))


PURE: dict[str, Callable[[dict[str, Any], dict[str, Any]], Result]] = {
    "transform": transform, "if": condition, "filter": filter_, "switch": switch, "set_variable": set_variable,
    "respond_to_webhook": respond, "stop_error": stop_error,
}
