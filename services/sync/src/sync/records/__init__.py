"""Records: every item ingested (sync batches, inbound provider webhooks, imports), kept raw (see docs/sync.md)."""
