"""connect-api.txt, Provider actions: `POST /connect/v1/providers/:providerType/actions/:actionName` takes the
action's inputs as its body (`{ ...inputs per action schema }`), checked by the service against the action's JSON
Schema from the provider's manifest. An `Idempotency-Key` header makes a repeat of one call execute once."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

EXECUTIONS = "provider_action_runs"  # one document per executed action (`_id` from its idempotency key)


class ActionInputs(BaseModel):
    """Any JSON object: the inputs of the named action (its schema is the manifest's, checked by the service)."""

    model_config = ConfigDict(extra="allow")
