"""The `junction` command-line tool."""
