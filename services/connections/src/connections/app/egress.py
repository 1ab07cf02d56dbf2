"""The operator's egress allow-list for provider calls (`JUNCTION_PROVIDER_EGRESS_HOSTS`): when set, a credential
test, an OAuth token or revoke request, a webhook registration or a proxy call goes only to a listed host (exactly,
or under a `*.domain` entry), refused before any name is resolved or any connection made; the address policy
(public addresses, plus the operator's private networks) applies on top. Empty: any host the address policy admits.
"""

from __future__ import annotations

from dataclasses import dataclass

from junction_common.address_policy import Address, AddressPolicy, UnsafeTarget


def parse_hosts(spec: str) -> tuple[str, ...]:
    return tuple(part.strip().lower().rstrip(".") for part in spec.split(",") if part.strip())


def admitted(hosts: tuple[str, ...], host: str) -> bool:
    """Whether `host` is listed (`api.example.com`) or under a listed `*.example.com`; everything when none is."""
    name = host.strip("[]").lower().rstrip(".")
    return not hosts or any(name == h or (h.startswith("*.") and name.endswith(h[1:])) for h in hosts)


@dataclass(frozen=True)
class EgressPolicy(AddressPolicy):
    hosts: tuple[str, ...] = ()

    @classmethod
    def of(cls, allow_networks: str | None, require_https: bool | None, egress_hosts: str) -> EgressPolicy:
        base = AddressPolicy.from_settings(allow_networks, require_https)
        return cls(base.allow, base.require_https, parse_hosts(egress_hosts))

    def describe(self) -> str:
        return super().describe() + f"; egress hosts: {', '.join(self.hosts) or 'any'}"

    def check_url(self, url: str) -> tuple[str, int]:
        host, port = super().check_url(url)
        self._listed(host)
        return host, port

    async def resolve(self, host: str, port: int) -> list[Address]:
        self._listed(host)
        return await super().resolve(host, port)

    def _listed(self, host: str) -> None:
        if not admitted(self.hosts, host):
            raise UnsafeTarget(f"{host} is not among the hosts the operator lets provider calls reach")
