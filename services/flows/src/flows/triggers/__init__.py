"""Trigger sources: what starts a flow's execution (FL-CORE's seam, `execution.start` on flows.commands).

- webhook: `POST /connect/v1/flow-hooks/{token}` (optional HMAC-SHA256 secret), answered 202 with the execution id;
- poll: a provider's poll trigger read through the connections proxy on an interval, deduplicated by the stream's
  primary key (every item not fired is recorded with its reason);
- event: a Junction event from any service's event topic, as its public payload;
- cron: one execution per schedule slot across replicas;
- form: a form's submissions;
- manual: executeWorkflow only (FL-CORE's route).
Every start's command id derives from what fired it, so a redelivered event or a replica racing starts it once.
"""
