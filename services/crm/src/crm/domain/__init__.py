"""CRM aggregates: pure decide/evolve, no I/O."""
