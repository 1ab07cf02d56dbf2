"""connections service (see ../shared/DESIGN.md for what it owns). Not built yet: only its package exists."""
