"""The simulators themselves: what they accept and refuse, their knobs, and the manifests they write."""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp
import pytest

from connections.catalogue.loader import read_manifest
from tests.simulators import api_key_provider, oauth_provider
from tests.simulators.oauth_provider import REDIRECT_URI


@pytest.mark.parametrize(("location", "name", "template"), [
    ("header", "Authorization", "Bearer {apiKey}"), ("header", "X-Api-Key", "{apiKey}"),
    ("query", "api_key", "{apiKey}"), ("basic", None, "{apiKey}:"),
])
async def test_the_api_key_provider_checks_the_key_where_the_manifest_puts_it(
        tmp_path: Path, location: str, name: str | None, template: str) -> None:
    async with api_key_provider(location=location, name=name or "", template=template) as sim, \
            aiohttp.ClientSession() as http:
        manifest = read_manifest(sim.write_manifest(tmp_path))
        assert manifest.auth.kind == "api_key" and str(manifest.api_base_url) == sim.url + "/"
        value = template.replace("{apiKey}", sim.api_key)
        headers, params = {}, {}
        if location == "header":
            headers[name or ""] = value
        elif location == "query":
            params[name or ""] = value
        else:
            headers["Authorization"] = "Basic " + base64.b64encode(value.encode()).decode()
        async with http.get(f"{sim.url}/me", headers=headers, params=params) as resp:
            assert resp.status == 200 and (await resp.json())["id"] == "sim-account-1"
        async with http.get(f"{sim.url}/me") as resp:
            assert resp.status == 401
        assert [r.status for r in sim.requests] == [200, 401]


async def test_the_api_key_provider_throttles_and_fails_on_command() -> None:
    async with api_key_provider() as sim, aiohttp.ClientSession() as http:
        sim.throttle_next(2, retry_after_s=3)
        sim.fail_next(1, status=502)
        auth = {"Authorization": f"Bearer {sim.api_key}"}
        answers = []
        for _ in range(4):
            async with http.post(f"{sim.url}/contacts?x=1", headers=auth, json={"a": 1}) as resp:
                answers.append((resp.status, resp.headers.get("Retry-After")))
        assert answers == [(429, "3"), (429, "3"), (502, None), (200, None)]
        assert sim.requests[-1].query == {"x": "1"} and sim.requests[-1].body == b'{"a": 1}'


async def test_the_oauth_provider_refuses_unknown_redirects_and_missing_pkce(tmp_path: Path) -> None:
    async with oauth_provider() as sim, aiohttp.ClientSession() as http:
        assert read_manifest(sim.write_manifest(tmp_path)).auth.kind == "oauth2"
        base = {"response_type": "code", "client_id": sim.client_id, "state": "s"}
        async with http.get(f"{sim.authorize_url}?{urlencode({**base, 'redirect_uri': 'https://evil.example/'})}",
                            allow_redirects=False) as resp:
            assert resp.status == 400  # never redirected to an unregistered URI
        async with http.get(f"{sim.authorize_url}?{urlencode({**base, 'redirect_uri': REDIRECT_URI})}",
                            allow_redirects=False) as resp:
            assert resp.status == 302
            assert parse_qs(urlsplit(resp.headers["Location"]).query) == {"error": ["invalid_request"],
                                                                          "state": ["s"]}
        async with http.post(sim.token_url, data={"grant_type": "password", "client_id": sim.client_id,
                                                  "client_secret": sim.client_secret}) as resp:
            assert resp.status == 400 and (await resp.json())["error"] == "unsupported_grant_type"
