"""Settings of the crm service."""

from junction_common.settings import JunctionSettings


class CrmSettings(JunctionSettings):
    """The crm service's settings."""

    # Its internal API (the gateway's only way to its outcomes and, next, its reads).
    internal_port: int = 8101
