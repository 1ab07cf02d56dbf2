"""Each provider signature scheme against the provider's documented example where one exists (Slack, GitHub,
Standard Webhooks), else a delivery signed as its documentation describes; a tampered body, a wrong secret, a
missing header and a stale timestamp are refused."""

from __future__ import annotations

import base64
import hmac
import json
from collections.abc import Callable

import pytest

from connections.inbound.signatures import TOLERANCE_S, Inbound, Signing, verify

NOW = 1_700_000_000.0


def mac(key: bytes, content: bytes, digest: str = "sha256") -> bytes:
    return hmac.new(key, content, digest).digest()


def test_slack_documented_example() -> None:
    """api.slack.com/authentication/verifying-requests-from-slack, its worked example."""
    body = (b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&"
            b"channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&"
            b"response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskX"
            b"aIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
    headers = {"x-slack-signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
               "x-slack-request-timestamp": "1531420618"}
    signing = Signing("slack", "X-Slack-Signature", "8f742231b10e8888abcd99yyyzzz85a5")
    assert verify(signing, Inbound("POST", "u", headers, body), 1531420618) is None
    assert verify(signing, Inbound("POST", "u", headers, body + b"x"), 1531420618) == "bad_signature"
    assert verify(signing, Inbound("POST", "u", headers, body), 1531420618 + TOLERANCE_S + 1) == "stale_timestamp"


def test_github_documented_example() -> None:
    """docs.github.com, validating webhook deliveries: the example secret, payload and signature."""
    headers = {"x-hub-signature-256": "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"}
    signing = Signing("github", "X-Hub-Signature-256", "It's a Secret to Everybody")
    assert verify(signing, Inbound("POST", "u", headers, b"Hello, World!"), NOW) is None
    assert verify(Signing("github", "X-Hub-Signature-256", "other"),
                  Inbound("POST", "u", headers, b"Hello, World!"), NOW) == "bad_signature"
    assert verify(signing, Inbound("POST", "u", {}, b"Hello, World!"), NOW) == "missing_signature"


def test_standard_webhooks_documented_example() -> None:
    """The Standard Webhooks specification's example (msg id, timestamp, whsec_ secret, v1 signature)."""
    headers = {"webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": "1614265330",
               "webhook-signature": "v1,bm9ldHZhbGlk v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}
    signing = Signing("standard_webhooks", None, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    assert verify(signing, Inbound("POST", "u", headers, b'{"test": 2432232314}'), 1614265330) is None
    assert verify(signing, Inbound("POST", "u", headers, b'{"test": 2432232315}'), 1614265330) == "bad_signature"


def test_stripe_signature_header_with_several_v1() -> None:
    body = b'{"id":"evt_1","type":"invoice.paid"}'
    good = mac(b"whsec_x", f"{int(NOW)}.".encode() + body).hex()
    header = {"stripe-signature": f"t={int(NOW)},v1={'0' * 64},v1={good},v0=abc"}
    signing = Signing("stripe", "Stripe-Signature", "whsec_x")
    assert verify(signing, Inbound("POST", "u", header, body), NOW) is None
    assert verify(signing, Inbound("POST", "u", header, body), NOW + 301) == "stale_timestamp"
    assert verify(signing, Inbound("POST", "u", {"stripe-signature": "v1=abc"}, body), NOW) == "missing_signature"


@pytest.mark.parametrize(("scheme", "header", "value"), [
    ("hmac_sha256", "X-Hub-Signature-256", lambda b: "sha256=" + mac(b"s3cret", b).hex()),  # Meta, WhatsApp
    ("hmac_sha256", "Linear-Signature", lambda b: mac(b"s3cret", b).hex()),
    ("hmac_sha1", "X-Hub-Signature", lambda b: "sha1=" + mac(b"s3cret", b, "sha1").hex()),  # Intercom
    ("hmac_sha256_base64", "X-DocuSign-Signature-1", lambda b: base64.b64encode(mac(b"s3cret", b)).decode()),
    ("hmac_sha256_base64", "Typeform-Signature", lambda b: "sha256=" + base64.b64encode(mac(b"s3cret", b)).decode()),
])
def test_body_hmacs(scheme: str, header: str, value: Callable[[bytes], str]) -> None:
    body = b'{"a":1}'
    signing = Signing(scheme, header, "s3cret")
    assert verify(signing, Inbound("POST", "u", {header.lower(): value(body)}, body), NOW) is None
    assert verify(signing, Inbound("POST", "u", {header.lower(): value(b"{}")}, body), NOW) == "bad_signature"


def test_airtable_mac_secret_is_base64() -> None:
    key = b"\x01\x02secret-bytes"
    body = b'{"base":{"id":"app1"}}'
    header = {"x-airtable-content-mac": "hmac-sha256=" + mac(key, body).hex()}
    signing = Signing("hmac_sha256", "X-Airtable-Content-MAC", base64.b64encode(key).decode())
    assert verify(signing, Inbound("POST", "u", header, body), NOW) is None


def test_hubspot_v3_signs_method_url_body_and_timestamp() -> None:
    url, body, millis = "https://junction.example/connect/v1/webhooks/hubspot/incoming/t", b"[]", str(int(NOW * 1000))
    sig = base64.b64encode(mac(b"client-secret", b"POST" + url.encode() + body + millis.encode())).decode()
    headers = {"x-hubspot-signature-v3": sig, "x-hubspot-request-timestamp": millis}
    signing = Signing("hmac_sha256_base64", "X-HubSpot-Signature-v3", "client-secret")
    assert verify(signing, Inbound("POST", url, headers, body), NOW) is None
    assert verify(signing, Inbound("POST", url + "x", headers, body), NOW) == "bad_signature"
    assert verify(signing, Inbound("POST", url, headers, body), NOW + 600) == "stale_timestamp"


def test_token_as_basic_password_or_bearer() -> None:
    signing = Signing("token", "Authorization", "hook-pass")
    basic = "Basic " + base64.b64encode(b"junction:hook-pass").decode()
    assert verify(signing, Inbound("POST", "u", {"authorization": basic}, b""), NOW) is None
    assert verify(signing, Inbound("POST", "u", {"authorization": "Bearer hook-pass"}, b""), NOW) is None
    assert verify(signing, Inbound("POST", "u", {"authorization": "Bearer nope"}, b""), NOW) == "bad_signature"


def _jwt(secret: bytes, claims: dict[str, object]) -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    head = f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}"
    return head + "." + base64.urlsafe_b64encode(mac(secret, head.encode())).rstrip(b"=").decode()


def test_jwt_hs256_with_expiry() -> None:
    signing = Signing("jwt", "Authorization", "shared")
    good = _jwt(b"shared", {"iss": "jira", "exp": NOW + 60})
    assert verify(signing, Inbound("POST", "u", {"authorization": f"JWT {good}"}, b"{}"), NOW) is None
    expired = _jwt(b"shared", {"iss": "jira", "exp": NOW - 3600})
    assert verify(signing, Inbound("POST", "u", {"authorization": f"JWT {expired}"}, b"{}"), NOW) == "stale_timestamp"
    forged = _jwt(b"other", {"iss": "jira", "exp": NOW + 60})
    assert verify(signing, Inbound("POST", "u", {"authorization": f"JWT {forged}"}, b"{}"), NOW) == "bad_signature"


def test_a_signed_scheme_without_a_secret_refuses_and_none_accepts() -> None:
    assert verify(Signing("stripe", "Stripe-Signature", None), Inbound("POST", "u", {}, b""), NOW) == "no_secret"
    assert verify(Signing("none", None, None), Inbound("POST", "u", {}, b"x"), NOW) is None

