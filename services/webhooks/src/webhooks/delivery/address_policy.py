"""Where a webhook may be sent: the generic policy of outgoing calls (junction_common.address_policy)."""

from junction_common.address_policy import AddressPolicy, PinnedResolver, UnsafeTarget, parse_networks

__all__ = ["AddressPolicy", "PinnedResolver", "UnsafeTarget", "parse_networks"]
