"""Support queues and tickets.

- support_queue: its key is unique in the workspace.
- ticket: its queue and every linked contact, company, deal, lead and invoice, when given, exist in the
  workspace (checked on create and on every update that sets them).
"""

from __future__ import annotations

from crm.domain.rules.base import Rule

# A ticket's links and a message's or comment's parent ticket are declared with their resources.
RULES: dict[str, list[Rule]] = {}
UNIQUE: dict[str, tuple[str, ...]] = {"support_queue": ("key",)}
