"""Outside providers for tests: small real HTTP servers on free ports (no mocks), each able to write a provider
manifest pointing at itself so tests register it like an operator's (or a workspace's custom) provider.

- `oauth_provider`: an OAuth 2.0 authorization server (authorize, token, revoke) with a protected `/me`.
- `api_key_provider`: an API that checks a key in a header, a query parameter or HTTP basic.
"""

from tests.simulators.api_key_provider import ApiKeyProvider, api_key_provider
from tests.simulators.oauth_provider import OAuthProvider, oauth_provider

__all__ = ["ApiKeyProvider", "OAuthProvider", "api_key_provider", "oauth_provider"]
