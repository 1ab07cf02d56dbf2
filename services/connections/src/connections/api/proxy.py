"""connect-api.txt: Proxy API Call, `POST /connect/v1/proxy/:providerType`, in the `/connect/v1` envelope:
`data` is the provider's answer `{status, headers, body}` (see connections.app.proxy)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from connections.api.deps import PREFIX, Caller
from connections.app.operations import Call
from connections.app.proxy import Proxy
from connections_contracts.declarations import CONNECT_BASE
from connections_contracts.proxy import ProxyBody
from junction_common.web.envelope import json_response, ok_body, request_id_of

ProviderType = Annotated[str, Path(max_length=64)]


def router(proxy: Proxy) -> APIRouter:
    api = APIRouter(prefix=PREFIX + CONNECT_BASE + "/proxy")

    @api.post("/{providerType}")
    async def proxy_provider_api_call(providerType: ProviderType, body: ProxyBody, request: Request,
                                      principal: Caller) -> Response:
        """Call a connected provider's API with the workspace's credential; the provider's status, safe headers
        and body in `data`."""
        call = Call(principal, request_id_of(request))
        return json_response(ok_body(await proxy.call(call, providerType, body), call.request_id))

    return api
