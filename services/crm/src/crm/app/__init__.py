"""Command routing and reactions of the crm service."""
