"""The catalogue against the five API references: each seed is parsed here on its own, and every operation it
documents must be in the catalogue once, at its base and path, with the documented scopes, flags and examples."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.catalogue import SEEDS, Operation, load_operations, path_shape

_DEFAULT_SEEDS = Path(__file__).resolve().parents[4].parent / "shared" / "seeds"
SEEDS_DIR = Path(os.environ.get("JUNCTION_SEEDS_DIR", _DEFAULT_SEEDS))
if not SEEDS_DIR.is_dir():
    pytest.skip(f"the API references are not at {SEEDS_DIR} (set JUNCTION_SEEDS_DIR)", allow_module_level=True)

BASES = {"workspace-api": "/v1", "workflow-api": "/v1", "connect-api": "/connect/v1",
         "pipelines-api": "/api/pipelines", "integrations-api": "/v1/integrations"}
METHOD_LINE = re.compile(r"^(GET|POST|PUT|PATCH|DELETE) (/\S+)")
OPS = load_operations()


def seed_text(seed: str) -> str:
    return (SEEDS_DIR / f"{seed}.txt").read_text(encoding="utf-8")


def of_seed(seed: str) -> list[Operation]:
    return [op for op in OPS if seed in op.seeds]


def find(method: str, documented: str) -> Operation:
    """The one catalogue entry a documented `METHOD /path` (`:param` or literal values) routes to."""
    path = documented.split("?")[0]
    path = path.rstrip("/") if path != "/" else path
    shape = re.sub(r":[A-Za-z_][A-Za-z0-9_]*", "{}", path)
    same = [op for op in OPS if op.method == method and path_shape(op.path) == shape]
    if not same:
        same = [op for op in OPS if op.method == method
                and re.fullmatch(re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(op.path)), path)]
    assert len(same) == 1, f"{method} {documented}: {[op.operation_id for op in same]}"
    return same[0]


# ------------------------------------------------------------------------------------------------ whole catalogue
def test_every_seed_is_catalogued_and_nothing_else() -> None:
    assert {s for op in OPS for s in op.seeds} == set(SEEDS) == {p.stem for p in SEEDS_DIR.glob("*.txt")}


def test_no_duplicate_method_and_path_and_no_duplicate_operation_ids() -> None:
    keys = [(op.method, path_shape(op.path)) for op in OPS]
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)
    ids = [op.operation_id for op in OPS]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert all(re.fullmatch(r"[a-z][A-Za-z0-9]*", i) for i in ids)


def test_paths_sit_under_each_seeds_base_with_named_parameters() -> None:
    for op in OPS:
        for seed in op.seeds:
            assert op.path == BASES[seed] or op.path.startswith(BASES[seed] + "/"), (op.operation_id, seed)
        assert ":" not in op.path and "//" not in op.path and not op.path.endswith("/")
        assert all(p.isidentifier() for p in op.path_params)
        assert len(set(op.path_params)) == len(op.path_params)


def test_scope_families_follow_each_seed() -> None:
    styles = {"workspace-api": r"[a-z_]+:(read|write)", "connect-api": r"[a-z_]+\.[a-z_]+",
              "pipelines-api": r"pipelines:(read|write|admin)",
              "workflow-api": r"(workflows|executions|forms|credentials|integrations):(read|write)",
              "integrations-api": r"integrations:(read|write)"}
    for op in OPS:
        assert all(re.fullmatch(styles[op.seed], s) for s in op.scopes), op.operation_id
        assert bool(op.scopes) == op.requires_api_key, op.operation_id
        assert op.admin_only == ("pipelines:admin" in op.scopes), op.operation_id
        assert not op.scopes_any or len(op.scopes) > 1


def test_two_seeds_one_entry_where_they_document_the_same_operation() -> None:
    shared = {(op.method, op.path): op for op in OPS if len(op.seeds) > 1}
    assert set(shared) == {("GET", "/v1/webhooks"), ("POST", "/v1/webhooks"), ("GET", "/v1/integrations")}
    assert shared["GET", "/v1/webhooks"].operation_id == "listWebhookEndpoints"
    assert shared["POST", "/v1/webhooks"].operation_id == "createWebhookEndpoint"
    assert "/v1/integrations/" in shared["GET", "/v1/integrations"].path_aliases


# ------------------------------------------------------------------------------------------------ workspace-api
def _after(block: list[str], label: str) -> str:
    return block[block.index(label) + 1].removeprefix("- ")


def _example(text: str, start: str, end: str) -> Any:
    raw = text.split(start, 1)[1].split(end, 1)[0].strip()
    return json.loads(raw) if raw else None


def workspace_blocks() -> Iterator[dict[str, Any]]:
    lines = seed_text("workspace-api").splitlines()
    heads = [i for i, line in enumerate(lines) if re.match(r"^/[a-z0-9_\-/{}]*[A-Z]", line)]
    for n, i in enumerate(heads):
        block = lines[i: heads[n + 1] if n + 1 < len(heads) else len(lines)]
        head = re.match(r"^(/[a-z0-9_\-/{}]*)([A-Z].*)$", block[0])
        assert head is not None
        text = "\n".join(block)
        yield {"path": "/v1" + head.group(1), "title": head.group(2), "operation_id": block[1].strip(),
               "scopes": re.findall(r"[a-z_]+:(?:read|write)", _after(block, "- Required scopes")),
               "group": _after(block, "- Resource group"),
               "body": _after(block, "- Request body").startswith("JSON body"),
               "idempotency": _after(block, "- Idempotency").startswith("Supports Idempotency-Key"),
               "request": _example(text, "Request body example", "Response example"),
               "response": _example(text, "Response example", "Common errors")}


def test_workspace_api_operations_are_catalogued_as_documented() -> None:
    verbs = {"List": "GET", "Search": "GET", "Get": "GET", "Full-text": "GET", "Update": "PATCH", "Archive": "DELETE"}
    by_id = {op.operation_id: op for op in OPS}
    blocks = list(workspace_blocks())
    assert len(blocks) == 75
    for doc in blocks:
        op = by_id[doc["operation_id"]]
        assert (op.seed, op.path, op.summary, op.tag) == ("workspace-api", doc["path"], doc["title"], doc["group"])
        assert op.method == verbs.get(doc["title"].split()[0], "POST"), op.operation_id
        assert list(op.scopes) == doc["scopes"] and op.scopes_any == (len(doc["scopes"]) > 1)
        assert (op.body, op.idempotency) == (doc["body"], doc["idempotency"]), op.operation_id
        assert (op.request_example, op.response_example) == (doc["request"], doc["response"]), op.operation_id
        webhooks = op.path.startswith("/v1/webhooks") or op.path == "/v1/integrations/events"
        assert op.service == ("webhooks" if webhooks else "crm")
    assert len(of_seed("workspace-api")) == len(blocks)
    assert by_id["getWorkspace"].scopes_any and len(by_id["getWorkspace"].scopes) == 9


# ------------------------------------------------------------------------------------------------ connect-api
def test_connect_api_permission_keys_are_copied() -> None:
    text = seed_text("connect-api")
    automation = re.findall(r"^(GET|POST|PUT|PATCH|DELETE) (/\S+) # ([a-z_]+\.[a-z_]+)", text, re.M)
    assert len(automation) == 32
    for method, path, key in automation:
        op = find(method, path if path.startswith("/connect/v1") else "/connect/v1" + path)
        assert op.scopes == (key,) and "connect-api" in op.seeds, op.operation_id
    section = text.split("x-api-keyheader", 1)[1].split("Error Responses", 1)[0].splitlines()
    titles: dict[str, list[str]] = {}
    for line in section:
        if line and not line.startswith("|") and not line.endswith("."):
            titles[line] = []
        elif line.startswith("| :") and "| path |" in line:
            titles[list(titles)[-1]].append(line.split("|")[1].strip()[1:])
    assert len(titles) == 9
    for title, params in titles.items():
        matches = [op for op in of_seed("connect-api") if op.summary == title]
        assert len(matches) == 1, title
        op = matches[0]
        assert set(params) <= set(op.path_params), title
        assert re.fullmatch(r"[a-z_]+\.(view|write|execute)", op.scopes[0]) and len(op.scopes) == 1
        assert op.scopes[0].endswith(".view") == (op.method == "GET"), title
    assert len(of_seed("connect-api")) == len(automation) + len(titles)


# ------------------------------------------------------------------------------------------------ the other three
def documented_lines(seed: str) -> list[tuple[str, str, str]]:
    """(method, path, the line before) of each `METHOD /path` line; pipelines-api's table rows too."""
    lines = seed_text(seed).splitlines()
    found = [(m.group(1), m.group(2), lines[i - 1]) for i, line in enumerate(lines)
             if (m := METHOD_LINE.match(line))]
    found += [(m.group(1), m.group(2), m.group(3)) for line in lines
              if (m := re.match(r"^\| (GET|POST|PUT|PATCH|DELETE) \| (/\S+) \| (.+) \|$", line))]
    return found


@pytest.mark.parametrize(("seed", "count"), [("workflow-api", 22), ("pipelines-api", 21), ("integrations-api", 13)])
def test_every_documented_route_is_catalogued(seed: str, count: int) -> None:
    base = BASES[seed] if seed == "workflow-api" else ""
    found = {}
    for method, path, before in documented_lines(seed):
        op = find(method, base + path)
        assert seed in op.seeds, op.operation_id
        found[op.operation_id] = (op, before)
    assert len(found) == count == len(of_seed(seed))


def test_pipelines_table_titles_admin_only_and_no_store() -> None:
    lines = seed_text("pipelines-api").splitlines()
    table = re.findall(r"^\| (GET|POST|PUT|PATCH|DELETE) \| (/\S+) \| (.+) \|$", "\n".join(lines), re.M)
    assert len(table) == 20
    for method, path, title in table:
        assert find(method, path).summary == title

    def next_route(after: int) -> Operation:
        for line in lines[after:]:
            if m := METHOD_LINE.match(line):
                return find(m.group(1), m.group(2))
        raise AssertionError(after)

    admin = {next_route(i).operation_id for i, line in enumerate(lines) if "ADMIN or OWNER role" in line}
    assert admin == {op.operation_id for op in OPS if op.admin_only} and len(admin) == 5
    no_store = {next_route(i).operation_id for i, line in enumerate(lines) if "no-store" in line}
    assert no_store == {"revealPipelineWebhookUrl"}
    assert no_store <= {op.operation_id for op in OPS if op.no_store}
    token = find("POST", "/api/pipelines/webhook/:token")
    assert (token.auth, token.scopes) == ("webhook_token", ())


def json_blocks(text: str) -> Iterator[Any]:
    """Every JSON example in a reference (`[...]`, `{...}` placeholders read as empty); None where not JSON."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].lstrip().startswith("{"):
            i += 1
            continue
        depth, raw = 0, ""
        while i < len(lines):
            for ch in lines[i]:
                raw += ch
                depth += {"{": 1, "}": -1, "[": 0, "]": 0}.get(ch, 0)
                if depth == 0:
                    break
            raw += "\n"
            i += 1
            if depth == 0:
                break
        raw = re.sub(r"\[\s*\.\.\.\s*\]", "[]", re.sub(r"\{\s*\.\.\.\s*\}", "{}", raw))
        try:
            yield json.loads(raw)
        except json.JSONDecodeError:
            yield None


def documented_examples(seed: str) -> list[Any]:
    text = seed_text(seed)
    if seed == "workflow-api":  # the envelope samples of "Response Format" belong to no operation
        text = text.split("\nWorkflows\n", 1)[1]
    return [b for b in json_blocks(text) if b is not None]


def examples_of(op: Operation) -> list[Any]:
    return [e for e in (op.request_example, op.response_example, *op.extra_request_examples.values(),
                        *op.extra_response_examples.values()) if e is not None]


@pytest.mark.parametrize("seed", SEEDS)
def test_examples_are_the_references_own(seed: str) -> None:
    """Each documented example is in the catalogue, and no entry carries an example its seeds do not show."""
    documented = documented_examples(seed)
    mine = [e for op in of_seed(seed) for e in examples_of(op)]
    assert [b for b in documented if b not in mine] == []
    for op in of_seed(seed):
        shown = [b for s in op.seeds for b in documented_examples(s)]
        assert [e for e in examples_of(op) if e not in shown] == [], op.operation_id
