"""BI in the crm: queries computed over the crm's read models (plan, compute) and CSV exports (exports, sweeper)."""
