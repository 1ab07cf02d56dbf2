"""The operator's egress allow-list for provider calls: listed hosts and `*.domain` entries only, refused before
any name is resolved; empty admits every host (the address policy still applies)."""

from __future__ import annotations

import asyncio

import pytest

from connections.app.egress import EgressPolicy, admitted, parse_hosts
from junction_common.address_policy import UnsafeTarget


def test_hosts_match_exactly_or_under_a_wildcard() -> None:
    hosts = parse_hosts(" api.hubspot.com, *.klaviyo.com ,127.0.0.1")
    assert hosts == ("api.hubspot.com", "*.klaviyo.com", "127.0.0.1")
    assert admitted(hosts, "API.HubSpot.com.") and admitted(hosts, "a.klaviyo.com") and admitted(hosts, "127.0.0.1")
    assert not admitted(hosts, "klaviyo.com") and not admitted(hosts, "evilklaviyo.com")
    assert not admitted(hosts, "api.hubspot.com.evil.io") and not admitted(hosts, "10.0.0.1")
    assert admitted((), "anything.example")


def test_an_unlisted_host_is_refused_before_any_lookup() -> None:
    policy = EgressPolicy.of("127.0.0.0/8", False, "127.0.0.1")
    assert policy.check_url("http://127.0.0.1:8080/me") == ("127.0.0.1", 8080)
    with pytest.raises(UnsafeTarget, match=r"a\.klaviyo\.com is not among"):
        policy.check_url("https://a.klaviyo.com/api/accounts/")
    with pytest.raises(UnsafeTarget, match="not among"):
        asyncio.run(policy.check("https://a.klaviyo.com/api/accounts/"))
    with pytest.raises(UnsafeTarget, match="not among"):
        asyncio.run(policy.resolve("a.klaviyo.com", 443))
    assert "egress hosts: 127.0.0.1" in policy.describe()


def test_no_list_keeps_the_address_policy() -> None:
    policy = EgressPolicy.of("", True, "")
    with pytest.raises(UnsafeTarget, match="https"):
        policy.check_url("http://example.com/")
    with pytest.raises(UnsafeTarget, match="private"):
        policy.check_address("10.1.2.3")
