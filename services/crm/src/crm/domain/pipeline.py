"""The default sales pipeline every new workspace starts with.

Stages follow Pipedrive's default pipeline (Qualified, Contact made, Demo scheduled, Proposal made, Negotiations
started), closed by HubSpot's two closing stages (Closed won, Closed lost), since a deal here has no won/lost
status of its own; probabilities are the chance a deal in the stage is won, as both peers show them. The keys
`qualified` and `proposal` are the ones workspace-api.txt's examples use (createDeal, updateDeal), so each example
works as written on a new workspace. Positions leave room for a workspace's own stages in between.

Invariants:
- The stages are ordinary deal stages (`deal_stage.created` events), editable and archivable like any other.
- A stage's id is derived from the workspace id and its key, so setting a workspace up again (a retried or
  redelivered command, a second setup) can never create a stage twice.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple


class DefaultStage(NamedTuple):
    key: str
    name: str
    position: int
    probability: int

    def data(self) -> dict[str, object]:
        return self._asdict()


DEFAULT_STAGES: tuple[DefaultStage, ...] = (
    DefaultStage("qualified", "Qualified", 100, 10),
    DefaultStage("contact_made", "Contact made", 200, 20),
    DefaultStage("demo_scheduled", "Demo scheduled", 300, 40),
    DefaultStage("proposal", "Proposal made", 400, 60),
    DefaultStage("negotiation", "Negotiations started", 500, 80),
    DefaultStage("closed_won", "Closed won", 600, 100),
    DefaultStage("closed_lost", "Closed lost", 700, 0),
)


def stage_id(workspace_id: str, key: str, prefix: str = "stage") -> str:
    """The id of the workspace's default stage `key`: the same on every attempt, different in every workspace."""
    digest = hashlib.sha256(f"{workspace_id}|default_pipeline|{key}".encode()).hexdigest()[:26]
    return f"{prefix}_{digest}"
