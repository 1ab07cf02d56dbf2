"""One presenter per API reference: each maps a provider manifest to that reference's documented shape, field by
field (connect.py: connect-api.txt, pipelines.py: pipelines-api.txt, integrations.py: integrations-api.txt)."""
