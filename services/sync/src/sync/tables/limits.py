"""Plan limits on tables: how many tables a workspace may have and how many rows a table may hold, by the
workspace's plan (the caller's Principal carries it). Over a limit the change is refused whole."""

from __future__ import annotations

from junction_common.web.envelope import ApiError

# plan -> (tables per workspace, rows per table)
PLAN_LIMITS: dict[str, tuple[int, int]] = {
    "free": (10, 10_000),
    "starter": (50, 100_000),
    "pro": (250, 1_000_000),
    "business": (1_000, 10_000_000),
}


def limits_of(plan: str | None) -> tuple[int, int]:
    return PLAN_LIMITS.get(plan or "free", PLAN_LIMITS["free"])


def check_tables(plan: str | None, existing: int) -> None:
    """One more table fits the plan, else FORBIDDEN with the limit named."""
    most, _ = limits_of(plan)
    if existing + 1 > most:
        raise ApiError("FORBIDDEN", f"The {plan or 'free'} plan allows {most} tables per workspace.",
                       {"limit": "tables_per_workspace", "plan": plan or "free", "max": most, "current": existing})


def check_rows(plan: str | None, slug: str, existing: int, adding: int) -> None:
    """`adding` new rows fit the table under the plan, else FORBIDDEN with the limit named (nothing written)."""
    _, most = limits_of(plan)
    if adding and existing + adding > most:
        raise ApiError("FORBIDDEN", f"The {plan or 'free'} plan allows {most} rows per table.",
                       {"limit": "rows_per_table", "plan": plan or "free", "max": most, "current": existing,
                        "adding": adding, "table": slug})
