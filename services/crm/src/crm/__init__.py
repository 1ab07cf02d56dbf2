"""CRM service: the workspace API's CRM and related resources as event-sourced aggregates."""
