"""Pure decisions and folds of the connections service (no I/O, no clock)."""
