"""connections service (see ../shared/DESIGN.md for what it owns): today its provider catalogue, served through its
internal API; connections, credentials, OAuth, the proxy and tenant integrations come next (docs/connections.md)."""
