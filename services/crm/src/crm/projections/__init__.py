"""CRM read models."""
