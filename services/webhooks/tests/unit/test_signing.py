"""Our signatures verify with the official Standard Webhooks implementation."""

from __future__ import annotations

import base64
import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from junction_common.webhook_signing import key_bytes, new_secret, preview, secret_problem, signature_header


def test_signature_verifies_with_standardwebhooks() -> None:
    secret = new_secret()
    ts = int(time.time())
    body = b'{"type":"contact.created","data":{"id":"con_1"}}'
    headers = {"webhook-id": "whd_1", "webhook-timestamp": str(ts),
               "webhook-signature": signature_header([key_bytes(secret)], "whd_1", ts, body)}
    assert Webhook(secret).verify(body, headers)["type"] == "contact.created"
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b" ", headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)


def test_two_secrets_give_two_signatures_each_valid() -> None:
    old, new = new_secret(), "a-caller-chosen-secret"
    ts = int(time.time())
    header = signature_header([key_bytes(new), key_bytes(old)], "whd_2", ts, b"{}")
    headers = {"webhook-id": "whd_2", "webhook-timestamp": str(ts), "webhook-signature": header}
    assert len(header.split(" ")) == 2
    Webhook(old).verify(b"{}", headers)
    Webhook(base64.b64encode(new.encode()).decode()).verify(b"{}", headers)


def test_preview_never_reveals_the_secret() -> None:
    secret = new_secret()
    shown = preview(secret)
    assert shown.startswith("whsec_") and "..." in shown and len(shown) < 20 and secret not in shown


def test_a_callers_secret_preview_shows_only_its_end() -> None:
    assert preview("your-webhook-secret") == "...et"
    assert preview("short-secret") == "..."


def test_a_whsec_secret_must_be_base64_of_24_to_64_bytes() -> None:
    assert secret_problem(new_secret()) is None
    assert secret_problem("your-webhook-secret") is None
    assert secret_problem("whsec_not base64!") is not None
    assert secret_problem("whsec_" + base64.b64encode(b"x" * 8).decode()) is not None
