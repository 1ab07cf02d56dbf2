"""Where webhooks may go: public addresses only, unless the allow-list admits a private network."""

from __future__ import annotations

import pytest

from webhooks.delivery.address_policy import AddressPolicy, PinnedResolver, UnsafeTarget
from webhooks.delivery.sender import Sender

PRODUCTION = AddressPolicy.from_settings("", True)
LOCAL = AddressPolicy.from_settings("127.0.0.0/8,::1/128", False)


@pytest.mark.parametrize("address", ["10.0.0.1", "172.16.3.4", "192.168.1.1", "127.0.0.1", "169.254.169.254",
                                     "0.0.0.0", "100.64.0.1", "::1", "fe80::1", "fd00:ec2::254",
                                     "::ffff:10.0.0.1", "::ffff:127.0.0.1", "224.0.0.1", "240.0.0.1"])
def test_private_loopback_link_local_and_metadata_addresses_are_refused(address: str) -> None:
    with pytest.raises(UnsafeTarget):
        PRODUCTION.check_address(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert str(PRODUCTION.check_address(address))


def test_the_allow_list_admits_only_its_networks() -> None:
    assert str(LOCAL.check_address("127.0.0.1")) == "127.0.0.1"
    assert str(LOCAL.check_address("::ffff:127.0.0.1")) == "127.0.0.1"
    for refused in ("10.0.0.1", "169.254.169.254", "192.168.0.10"):
        with pytest.raises(UnsafeTarget):
            LOCAL.check_address(refused)


@pytest.mark.parametrize("url", ["http://example.com/hook", "ftp://example.com/x", "https://user:pw@example.com/",
                                 "https:///nohost", "javascript:alert(1)", "https://example.com:99999/"])
def test_production_urls_must_be_plain_https(url: str) -> None:
    with pytest.raises(UnsafeTarget):
        PRODUCTION.check_url(url)


def test_a_name_resolving_to_a_private_address_is_refused() -> None:
    import asyncio

    with pytest.raises(UnsafeTarget):
        asyncio.run(PRODUCTION.check("https://localhost/hook"))
    asyncio.run(LOCAL.check("http://localhost:8080/hook"))


async def test_the_pinned_resolver_refuses_at_connect_time() -> None:
    """A URL saved while allowed is checked again at every connection (DNS may have changed since)."""
    with pytest.raises(OSError):
        await PinnedResolver(PRODUCTION).resolve("localhost", 443)
    sender = Sender(AddressPolicy.from_settings("", False), timeout_s=2, body_limit=100)
    try:
        result = await sender.send("http://127.0.0.1:9/hook", "whd_x", b"{}", [b"k"])
    finally:
        await sender.close()
    assert result.status is None and "private" in (result.error or "")


@pytest.mark.parametrize("url", ["http://\U0001fbf1\U0001fbf2\U0001fbf7.\U0001fbf0.\U0001fbf0.\U0001fbf1:8080/",
                                 "http://ex\u00e4mple.com/", "http://127.0.0.1\u3002/"])
def test_non_ascii_hosts_are_refused(url: str) -> None:
    """yarl would normalise these (segmented digits to 127.0.0.1) after our check; they never get that far."""
    with pytest.raises(UnsafeTarget):
        LOCAL.check_url(url) if "\U0001fbf1" not in url else PRODUCTION.check_url(url)


@pytest.mark.parametrize("address", ["64:ff9b::a00:1", "64:ff9b:1::a00:1", "2002:a00:1::1", "::a00:1"])
def test_ipv6_forms_carrying_an_ipv4_address_are_refused(address: str) -> None:
    with pytest.raises(UnsafeTarget):
        PRODUCTION.check_address(address)
