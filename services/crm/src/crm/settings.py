"""Settings of the crm service."""

from junction_common.settings import JunctionSettings


class CrmSettings(JunctionSettings):
    """The crm service needs nothing beyond the shared settings yet."""
