"""Settings of the crm service."""

from junction_common.settings import JunctionSettings


class CrmSettings(JunctionSettings):
    health_port: int = 0
