"""Step (node) types: the pure ones evaluated while walking the graph (logic.py), the ones with an effect outside
the flow run by the engine with an idempotency key per attempt (http.py, crm.py, actions.py, tables.py)."""
