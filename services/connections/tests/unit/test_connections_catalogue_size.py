"""The built-in catalogue holds at least 200 providers, the 25 named in the connections issue complete, and
docs/providers.md lists exactly what it holds."""

from __future__ import annotations

from pathlib import Path

from connections.catalogue.listing import render
from connections.catalogue.loader import load_catalogue

COMPLETE = ("hubspot", "salesforce", "pipedrive", "quickbooks", "xero", "jira", "asana", "linear", "calendly",
            "docusign", "zoom", "fireflies", "zendesk", "intercom", "whatsapp_business", "slack", "companies_house",
            "stripe", "github", "mailchimp", "klaviyo", "meta_lead_ads", "google_sheets", "airtable", "dropbox")
DOCS = Path(__file__).resolve().parents[4] / "docs" / "providers.md"


def test_at_least_200_providers_and_the_25_are_complete() -> None:
    catalogue = load_catalogue()
    assert len(catalogue) >= 200
    incomplete = [t for t in COMPLETE if (m := catalogue.get(t)) is None or not m.complete]
    assert incomplete == []


def test_every_category_the_references_name_has_providers() -> None:
    catalogue = load_catalogue()
    for category in ("CRM", "Accounting", "Project Management", "Scheduling", "Documents", "Meetings", "Support",
                     "Messaging", "Registry", "Marketing", "Payments", "E-commerce", "Development", "Storage",
                     "Productivity"):
        assert catalogue.in_category(category), category


def test_the_docs_list_is_the_catalogue() -> None:
    assert DOCS.read_text() == render(load_catalogue()), "regenerate: python -m connections.catalogue.listing"
