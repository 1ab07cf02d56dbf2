"""The webhooks service's contract: its topics, command types, collections, statuses and event types.

Shared by the gateway (which publishes the commands and reads the collections) and the service.
"""

from __future__ import annotations

SERVICE = "webhooks"
COMMANDS = "webhooks.commands"
ENDPOINT_EVENTS = "webhooks.endpoint.events"
EVENT_TYPE_EVENTS = "webhooks.event_type.events"

# Collections in the webhooks database.
ENDPOINTS = "endpoints"
EVENT_TYPES = "event_types"
DELIVERIES = "deliveries"
ENDPOINT_HEALTH = "endpoint_health"

ENDPOINT_PREFIX = "wh"
DELIVERY_PREFIX = "whd"
EVENT_TYPE_PREFIX = "iet"

# Endpoint commands (aggregate `webhook_endpoint`).
CREATE_ENDPOINT = "webhook_endpoint.create"
UPDATE_ENDPOINT = "webhook_endpoint.update"
DELETE_ENDPOINT = "webhook_endpoint.delete"
ROTATE_SECRET = "webhook_endpoint.rotate_secret"
DISABLE_ENDPOINT = "webhook_endpoint.disable"
ROTATE_KEYS = "webhook_endpoint.rotate_keys"  # its sealed secrets re-wrapped under the vault's active key
REGISTER_EVENT_TYPE = "integration_event_type.register"
# Delivery commands (operational state, not an event-sourced aggregate).
SEND_TEST = "webhook_delivery.send_test"
RETRY_DELIVERY = "webhook_delivery.retry"
RECOVER_DELIVERIES = "webhook_delivery.recover"
RETRY_EVENT = "integration_event.retry"
CANCEL_EVENT = "integration_event.cancel"

ENDPOINT_STATUSES = ("active", "paused", "disabled")
DELIVERY_STATUSES = ("pending", "retrying", "succeeded", "failed", "cancelled")
OPEN_DELIVERY_STATUSES = ("pending", "retrying")  # still to be sent (queued or processing as events)
# The integration-event view of a delivery (integrations-api.txt).
EVENT_STATUSES = ("queued", "processing", "succeeded", "failed", "cancelled")

TEST_EVENT = "webhook.test"
# A write's answer shows a delivery as a delivery, or (with this view of the outcome long poll) as an integration
# event: the service presents it, keyed `deliveries:event`.
EVENT_VIEW = "event"

# (key, description): the event types this service emits itself.
WEBHOOK_EVENT_TYPES: tuple[tuple[str, str], ...] = (
    (TEST_EVENT, "A test event queued with POST /v1/webhooks/{webhook_id}/test."),
    ("webhook_endpoint.created", "A webhook endpoint was created."),
    ("webhook_endpoint.updated", "A webhook endpoint was changed (name, URL, event types, status)."),
    ("webhook_endpoint.deleted", "A webhook endpoint was deleted."),
    ("webhook_endpoint.secret_rotated", "A webhook endpoint's signing secret was rotated."),
    ("webhook_endpoint.disabled", "A webhook endpoint was disabled after failing (or a 410 Gone)."),
    ("webhook_endpoint.keys_rotated", "A webhook endpoint's sealed signing secrets were re-encrypted under a new "
                                      "vault key (the secrets, and so the signatures, are unchanged)."),
    ("integration_event_type.registered", "A custom integration event type was registered."),
)

# Event fields never sent to receivers or shown by the API (sealed secrets stay inside the service).
SECRET_FIELDS = ("secret", "secret_sealed", "previous_secrets")
