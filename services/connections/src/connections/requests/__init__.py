"""How a call to a provider is really made: a manifest, a connection's credential and a relative request become the
absolute URL and headers to send (pure: no I/O). The proxy (`POST /connect/v1/proxy/:providerType`) and the
credential test build their calls here; `RequestRefused` names what was refused, never a secret."""

from connections.requests.build import build_request, build_test_request, expand_path
from connections.requests.model import Credential, PreparedRequest, ProviderRequest, RequestRefused

__all__ = ["Credential", "PreparedRequest", "ProviderRequest", "RequestRefused", "build_request",
           "build_test_request", "expand_path"]
