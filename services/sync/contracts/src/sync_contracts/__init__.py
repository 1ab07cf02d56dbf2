"""The sync service's contract package: what the gateway and other services may know of it."""
