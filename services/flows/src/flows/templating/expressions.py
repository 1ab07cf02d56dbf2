"""Sandboxed templates and expressions (jinja2 `SandboxedEnvironment`): no arbitrary code, no attribute of a
private or unsafe name, `range` capped, each evaluation bounded in time (checked at every attribute, item and
call, and between output chunks) and in output size.

A string holding `{{ ... }}` or `{% ... %}` is a template; one that is exactly `{{ expr }}` gives the
expression's value as it is (a list stays a list). Conditions, switch values and loop items are expressions,
written bare (`trigger.amount > 100`) or in braces.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, Undefined
from jinja2.sandbox import SandboxedEnvironment

MAX_RANGE = 10_000
MAX_OUTPUT = 1_000_000  # characters of one template's output
TIME_LIMIT_S = 0.5
UNCLOCKED = 64  # attribute, item, call and output checks of an evaluation before its deadline starts
_WHOLE = re.compile(r"^\s*\{\{(.*)\}\}\s*$", re.S)


class TemplateFailure(Exception):
    """A template did not parse, or failed, ran too long or produced too much."""


class _Deadline(Exception):
    pass


class BoundedEnvironment(SandboxedEnvironment):
    """The sandbox with a per-evaluation deadline checked on every attribute, item and call. The deadline is on
    this thread's CPU time, so a busy machine that pauses the process does not fail a template."""

    deadline: float = float("inf")
    unclocked = 0  # checks left before the clock is first read (most evaluations end before it is)

    def _check(self) -> None:
        if self.unclocked > 0:
            self.unclocked -= 1
            if self.unclocked == 0:
                self.deadline = time.thread_time() + TIME_LIMIT_S
            return
        if time.thread_time() > self.deadline:
            raise _Deadline

    def getattr(self, obj: Any, attribute: str) -> Any:
        """A mapping's key before its method (`trigger.items` is the trigger's `items` field)."""
        self._check()
        if isinstance(obj, dict) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        self._check()
        return super().getitem(obj, argument)

    def call(self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        self._check()
        return super().call(__context, __obj, *args, **kwargs)


def _range(*args: int) -> range:
    rng = range(*args)
    if len(rng) > MAX_RANGE:
        raise TemplateFailure(f"range is limited to {MAX_RANGE} items")
    return rng


def _environment() -> BoundedEnvironment:
    env = BoundedEnvironment(undefined=StrictUndefined, autoescape=False)
    env.globals = {"range": _range, "dict": dict, "lipsum": None}
    del env.globals["lipsum"]
    return env


_ENV = _environment()


def is_template(text: str) -> bool:
    return "{{" in text or "{%" in text


def _expression(text: str) -> str:
    whole = _WHOLE.match(text)
    return whole.group(1) if whole else text


def syntax_error(text: str, expression: bool = False) -> str | None:
    """Why `text` does not parse (None when it does): a template, or with `expression` an expression."""
    try:
        if expression:
            _ENV.compile_expression(_expression(text))
        elif is_template(text):
            whole = _WHOLE.match(text)
            if whole and "}}" not in whole.group(1):
                _ENV.compile_expression(whole.group(1))
            else:
                _ENV.parse(text)
    except TemplateSyntaxError as exc:
        return f"line {exc.lineno}: {exc.message}"
    return None


def _bounded(run: Callable[[], Any]) -> Any:
    """Run one evaluation under the deadline, counted from its `UNCLOCKED`-th check (reading the thread's CPU
    clock costs more than a small template's whole evaluation, so a small one never reads it)."""
    _ENV.unclocked, _ENV.deadline = UNCLOCKED, float("inf")
    try:
        return run()
    except _Deadline as exc:
        raise TemplateFailure(f"the evaluation took longer than {TIME_LIMIT_S}s") from exc
    except TemplateFailure:
        raise
    except TemplateError as exc:
        raise TemplateFailure(str(exc)) from exc
    except (ArithmeticError, LookupError, TypeError, ValueError, AttributeError) as exc:
        raise TemplateFailure(f"{type(exc).__name__}: {exc}") from exc
    finally:
        _ENV.unclocked, _ENV.deadline = 0, float("inf")


def evaluate(text: str, context: dict[str, Any]) -> Any:
    """The value of the expression `text` (bare or in braces), as JSON data; an undefined name or field is an
    error."""
    return _bounded(lambda: jsonable(_value(text, context)))


def jsonable(value: Any) -> Any:
    """`value` as JSON data (it is recorded in events): sequences become lists, keys strings, anything else its
    text (a range, a set, a jinja object)."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset | range):
        return [jsonable(v) for v in value]
    return str(value)


@lru_cache(maxsize=4096)
def _compiled_expression(source: str) -> Any:
    """Compiled once per distinct expression (compiling costs far more than evaluating)."""
    return _ENV.compile_expression(source, undefined_to_none=False)


@lru_cache(maxsize=4096)
def _compiled_template(source: str) -> Any:
    return _ENV.from_string(source)


# An expression that is only a dotted path of plain names (`trigger.body.email`, `steps.shape`): the most common
# template by far. Where every name is a key of a mapping it reads exactly what the sandbox would (`getattr` reads a
# mapping's key first), without running jinja; anything else (a missing key, a list, an operator) goes to jinja.
_PATH = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*)\s*$")
_KEYWORDS = frozenset({"and", "or", "not", "in", "is", "if", "else", "true", "false", "none", "True", "False", "None"})


@lru_cache(maxsize=4096)
def _plain_path(source: str) -> tuple[str, ...] | None:
    """The names of an expression that is a dotted path of plain names, else None."""
    found = _PATH.match(source)
    if found is None:
        return None
    names = tuple(found.group(1).split("."))
    return None if any(name in _KEYWORDS for name in names) else names


def _value(text: str, context: dict[str, Any]) -> Any:
    source = _expression(text)
    path = _plain_path(source)
    if path is not None:
        value: Any = context
        for name in path:
            if not isinstance(value, dict) or name not in value:
                break
            value = value[name]
        else:
            return value
    value = _compiled_expression(source)(**context)
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    return value


def _render_text(text: str, context: dict[str, Any]) -> str:
    whole = _WHOLE.match(text)
    if whole and "}}" not in whole.group(1) and "{{" not in whole.group(1):
        return _value(text, context)  # type: ignore[no-any-return]
    template = _compiled_template(text)
    chunks, size = [], 0
    for chunk in template.generate(**context):
        _ENV._check()
        size += len(chunk)
        if size > MAX_OUTPUT:
            raise TemplateFailure(f"the output is longer than {MAX_OUTPUT} characters")
        chunks.append(chunk)
    return "".join(chunks)


def render(value: Any, context: dict[str, Any]) -> Any:
    """`value` with every template string in it rendered (dicts and lists walked), bounded as one evaluation."""
    return _bounded(lambda: jsonable(_walk(value, context)))


def _walk(value: Any, context: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return _render_text(value, context) if is_template(value) else value
    if isinstance(value, dict):
        return {k: _walk(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, context) for v in value]
    return value


def templates_in(value: Any, path: str = "") -> list[tuple[str, str]]:
    """Every template string in `value` with its path (`body.text`), for checking on save."""
    if isinstance(value, str):
        return [(path, value)] if is_template(value) else []
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in templates_in(v, f"{path}.{k}" if path else str(k))]
    if isinstance(value, list):
        return [t for i, v in enumerate(value) for t in templates_in(v, f"{path}[{i}]")]
    return []


