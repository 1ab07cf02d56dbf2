"""Support queues and tickets.

- support_queue: its key is unique in the workspace.
- ticket: its queue and every linked contact, company, deal, lead and invoice, when given, exist in the
  workspace (checked on create and on every update that sets them).
"""

from __future__ import annotations

from crm.domain.rules.base import Linker, Rule, field_links

TICKET_LINK_TARGETS = {"queue_id": "support_queue", "contact_id": "contact", "company_id": "company",
                       "deal_id": "deal", "lead_id": "lead", "invoice_id": "invoice"}

RULES: dict[str, list[Rule]] = {}
UNIQUE: dict[str, tuple[str, ...]] = {"support_queue": ("key",)}
LINKS: dict[str, Linker] = {"ticket": field_links(TICKET_LINK_TARGETS),
                            "ticket_message": field_links({"ticket_id": "ticket"}),
                            "ticket_comment": field_links({"ticket_id": "ticket"})}
