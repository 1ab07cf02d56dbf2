"""The internal-call signature binds the request id, method, path, identity and time."""

from __future__ import annotations

import pytest

from junction_common.identity import Principal
from junction_common.internal_auth import InternalAuthError, sign, verify

SECRET = "internal-test-secret"
WHO = Principal(workspace_id="wrk_1", key_id="key_1", role="MEMBER", scopes=frozenset({"crm:read"}), plan="pro")


def test_a_signed_call_verifies_with_its_identity():
    header = sign(SECRET, "req_1", "GET", "/internal/v1/contacts", WHO, now=1000)
    call = verify(SECRET, header, "GET", "/internal/v1/contacts", now=1010)
    assert call.principal == WHO and call.request_id == "req_1"


def test_a_call_without_a_caller_carries_none():
    header = sign(SECRET, "req_2", "GET", "/internal/commands/cmd_1", None, now=1000)
    assert verify(SECRET, header, "GET", "/internal/commands/cmd_1", now=1000).principal is None


@pytest.mark.parametrize(("method", "path", "now", "secret"), [
    ("POST", "/internal/v1/contacts", 1000, SECRET),   # another method
    ("GET", "/internal/v1/companies", 1000, SECRET),   # another path
    ("GET", "/internal/v1/contacts", 1031, SECRET),    # too old
    ("GET", "/internal/v1/contacts", 969, SECRET),     # from the future
    ("GET", "/internal/v1/contacts", 1000, "other"),   # another secret
])
def test_a_header_is_refused_anywhere_else(method, path, now, secret):
    header = sign(SECRET, "req_1", "GET", "/internal/v1/contacts", WHO, now=1000)
    with pytest.raises(InternalAuthError):
        verify(secret, header, method, path, now=now)


def test_an_edited_identity_or_request_id_is_refused():
    header = sign(SECRET, "req_1", "GET", "/x", WHO, now=1000)
    other = sign(SECRET, "req_1", "GET", "/x", Principal("wrk_2", "key_2", "OWNER", frozenset({"*"})), now=1000)
    who_of_other = other.split(";who=")[1].split(";")[0]
    forged = header.split(";who=")[0] + f";who={who_of_other};sig=" + header.split(";sig=")[1]
    with pytest.raises(InternalAuthError):
        verify(SECRET, forged, "GET", "/x", now=1000)
    with pytest.raises(InternalAuthError):
        verify(SECRET, header.replace("rid=req_1", "rid=req_9"), "GET", "/x", now=1000)


@pytest.mark.parametrize("header", [None, "", "v0;t=1;rid=a;who=;sig=b", "v1;t=x;rid=a;who=;sig=b", "v1;t=1000"])
def test_missing_or_malformed_headers_are_refused(header):
    with pytest.raises(InternalAuthError):
        verify(SECRET, header, "GET", "/x", now=1000)
