"""importTableRows and exportTable: CSV (header row) or JSON rows in, with a report per row that failed (a bad row
never stops the others; imported items are kept as records); CSV or JSON out, columns in schema order."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from junction_common.identity import Principal
from junction_common.web.envelope import ApiError
from sync.domain.table_types import infer_text, parse_text
from sync.tables.ingest import Source
from sync.tables.operations import Tables, cause_of

Doc = dict[str, Any]
MAX_ROWS = 50_000


def _cells(row: dict[str, str | None], types: dict[str, str]) -> Doc:
    """A CSV row's cells as values: by the column's type when the table has it, else as they plainly read."""
    out: Doc = {}
    for name, text in row.items():
        if name is None:
            raise ValueError("more cells than header columns")
        text = text or ""
        try:
            out[name] = parse_text(text, types[name]) if name in types else infer_text(text)
        except (ValueError, json.JSONDecodeError) as exc:
            raise ValueError(f"column {name}: {exc}") from exc
    return out


def parse_csv(text: str, types: dict[str, str]) -> tuple[list[tuple[int, Doc]], list[Doc]]:
    """Rows (numbered from 1, the header not counted) and the errors of those that could not be read."""
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise ApiError("VALIDATION_ERROR", "The CSV has no header row.", None)
    rows, errors = [], []
    for number, row in enumerate(reader, start=1):
        try:
            rows.append((number, _cells(row, types)))
        except ValueError as exc:
            errors.append({"row": number, "error": str(exc)})
    return rows, errors


def parse_body(content_type: str, raw: bytes, types: dict[str, str]) -> tuple[list[tuple[int, Doc]], list[Doc]]:
    """CSV (`text/csv`), or JSON: `{"rows": [...]}`, a list of rows, or `{"format": "csv", "csv": "..."}`."""
    text = raw.decode("utf-8-sig", errors="replace")
    if "csv" in content_type:
        return parse_csv(text, types)
    try:
        body = json.loads(text or "null")
    except json.JSONDecodeError as exc:
        raise ApiError("VALIDATION_ERROR", "The body is neither CSV (text/csv) nor JSON.", None) from exc
    if isinstance(body, dict) and isinstance(body.get("csv"), str):
        return parse_csv(body["csv"], types)
    items = body.get("rows") if isinstance(body, dict) else body
    if not isinstance(items, list):
        raise ApiError("VALIDATION_ERROR", "Give `rows` (a list of objects), or CSV.", None)
    rows, errors = [], []
    for number, item in enumerate(items, start=1):
        (rows.append((number, item)) if isinstance(item, dict)
         else errors.append({"row": number, "error": "a row is a JSON object"}))
    return rows, errors


async def import_rows(tables: Tables, principal: Principal, request_id: str, slug: str, content_type: str,
                      raw: bytes) -> Doc:
    """Every readable row upserted by the table's key and kept as a record; the others reported."""
    state = await tables.state(principal.workspace_id, slug)
    rows, errors = parse_body(content_type, raw, state.types())
    if len(rows) + len(errors) > MAX_ROWS:
        raise ApiError("VALIDATION_ERROR", f"An import holds at most {MAX_ROWS} rows.", {"rows": len(rows)})
    plan = await tables.plans.remember(principal)
    result = await tables.ingest.write(cause_of(principal, request_id), state, [r for _, r in rows],
                                       Source("import", resource_type=slug), plan=plan)
    if result.paused:
        raise ApiError("VALIDATION_ERROR", "The table holds a schema change awaiting approval: approve it first.",
                       {"slug": slug})
    errors += [{"row": rows[r["index"]][0], "error": r["error"]} for r in result.rejected]
    errors.sort(key=lambda e: e["row"])
    return {"imported": result.written, "created": result.created, "updated": result.updated,
            "failed": len(errors), "errors": errors, "schema_changes": result.schema_changes}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def to_csv(columns: list[str], rows: list[Doc]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row["data"].get(c)) for c in columns])
    return out.getvalue()
