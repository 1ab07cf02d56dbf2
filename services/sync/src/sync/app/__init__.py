"""The sync service's handlers and reactions."""
