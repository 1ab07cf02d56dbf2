"""Tables: destination tables of syncs and of the API, their schema, and their rows (see docs/sync.md)."""
