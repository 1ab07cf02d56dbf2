"""Where an outgoing call may go (a webhook delivery, a provider API call): public addresses only, unless an
allow-list admits a private network.

A URL is checked when it is saved and again at every connection: the host is resolved once,
every address is checked, and the connection goes to a checked address (aiohttp connects to what the
resolver returns), so a DNS answer that changes between check and connect cannot reach a private address.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# IPv6 ranges that carry an IPv4 address (NAT64, 6to4, IPv4-compatible): refused unless allowed, since
# the IPv4 address inside may be a private one.
_EMBEDDING = tuple(ipaddress.ip_network(n) for n in ("64:ff9b::/96", "64:ff9b:1::/48", "2002::/16", "::/96"))


class UnsafeTarget(Exception):
    """The URL or the address it resolves to is not allowed."""


def parse_networks(spec: str) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in spec.split(",") if p.strip())


@dataclass(frozen=True)
class AddressPolicy:
    allow: tuple[Network, ...]
    require_https: bool

    @classmethod
    def from_settings(cls, allow_networks: str | None, require_https: bool | None) -> AddressPolicy:
        return cls(parse_networks(allow_networks or ""), bool(require_https))

    def describe(self) -> str:
        allowed = ", ".join(str(n) for n in self.allow) or "none"
        return f"https required: {self.require_https}; private networks admitted: {allowed}"

    def check_url(self, url: str) -> tuple[str, int]:
        """The host and port of `url`, or UnsafeTarget when its form is not allowed."""
        if not url.isascii():
            raise UnsafeTarget("the URL must be ASCII (write an international host name in its xn-- form)")
        try:
            parts = urlsplit(url)
            port = parts.port
            # The host exactly as aiohttp will connect to it (yarl normalises it).
            connect_host = URL(url).raw_host
        except ValueError as exc:
            raise UnsafeTarget(f"not a valid URL: {exc}") from exc
        if parts.scheme not in ("http", "https"):
            raise UnsafeTarget("the URL scheme must be https (or http where allowed)")
        if parts.scheme == "http" and self.require_https:
            raise UnsafeTarget("the URL must use https")
        if not parts.hostname:
            raise UnsafeTarget("the URL has no host")
        if parts.username or parts.password:
            raise UnsafeTarget("credentials in the URL are not allowed")
        if not connect_host or connect_host.strip("[]").lower() != parts.hostname.lower():
            raise UnsafeTarget("the URL's host is ambiguous")
        return parts.hostname, port or (443 if parts.scheme == "https" else 80)

    def check_literal(self, url: str) -> None:
        """Check the URL's form and, when its host is an IP address, that address (no resolver runs then)."""
        host, _ = self.check_url(url)
        try:
            ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            return
        self.check_address(host.strip("[]"))

    def check_address(self, address: str) -> Address:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if any(ip in net for net in self.allow):
            return ip
        if ip.version == 6 and any(ip in net for net in _EMBEDDING):
            raise UnsafeTarget(f"{ip} carries an IPv4 address (NAT64, 6to4 or IPv4-compatible)")
        if not ip.is_global or ip.is_multicast:
            raise UnsafeTarget(f"{ip} is a private, loopback, link-local or reserved address")
        return ip

    async def resolve(self, host: str, port: int) -> list[Address]:
        """Every address `host` resolves to, each one checked; UnsafeTarget if any is refused."""
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise UnsafeTarget(f"{host} does not resolve") from exc
        addresses = [self.check_address(str(info[4][0])) for info in infos]
        if not addresses:
            raise UnsafeTarget(f"{host} does not resolve")
        return addresses

    async def check(self, url: str) -> None:
        """At save time: the form, and every address the host resolves to now. A name that does not resolve
        (yet) is accepted: every connection resolves and checks again, so it can never reach a refused one."""
        host, port = self.check_url(url)
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror:
            return
        for info in infos:
            self.check_address(str(info[4][0]))


class PinnedResolver(AbstractResolver):
    """aiohttp resolver that answers only with addresses the policy admits."""

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy

    async def resolve(self, host: str, port: int = 0, family: Any = socket.AF_INET) -> list[ResolveResult]:
        try:
            addresses = await self.policy.resolve(host, port)
        except UnsafeTarget as exc:
            raise OSError(str(exc)) from exc
        return [ResolveResult(hostname=host, host=str(ip), port=port,
                              family=socket.AF_INET6 if ip.version == 6 else socket.AF_INET,
                              proto=0, flags=socket.AI_NUMERICHOST) for ip in addresses]

    async def close(self) -> None:
        return None
