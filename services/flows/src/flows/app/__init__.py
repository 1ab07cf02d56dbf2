"""The flows service's handlers and reactions."""
