"""The durable execution engine: the walk through a workflow's graph (walk.py), its batched commits
(commits.py), the work queue of unfinished executions with leases (runs.py) and the component that runs them
(engine.py)."""
