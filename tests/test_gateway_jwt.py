"""JWT bearer tokens: HS256 secret and RS256/ES256 against a JWKS file; issuer, audience, expiry, skew."""

from __future__ import annotations

import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from conftest import start_gateway

pytestmark = pytest.mark.integration

SECRET = "test-hs256-secret-at-least-32-bytes-long!"


def jwks_file(tmp_path, rsa_key, ec_key) -> str:
    keys = []
    for kid, alg, key, algo in (("r1", "RS256", rsa_key, RSAAlgorithm), ("e1", "ES256", ec_key, ECAlgorithm)):
        jwk = json.loads(algo.to_jwk(key.public_key()))
        keys.append({**jwk, "kid": kid, "alg": alg, "use": "sig"})
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": keys}))
    return str(path)


def claims(workspace_id: str, **extra) -> dict:
    now = int(time.time())
    return {"sub": "user_1", "workspace_id": workspace_id, "iss": "https://idp.test", "aud": "junction",
            "iat": now, "exp": now + 300, **extra}


async def status_with(http, url, token) -> int:
    async with http.get(f"{url}/v1/contacts", headers={"Authorization": f"Bearer {token}"}) as resp:
        return resp.status


async def test_jwt_tokens_are_verified(stack_settings, crm_service, workspace, http, tmp_path):
    ws, _ = workspace
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    settings = stack_settings.gateway.model_copy(update={
        "jwt_hs256_secret": SECRET, "jwt_jwks_file": jwks_file(tmp_path, rsa_key, ec_key),
        "jwt_issuer": "https://idp.test", "jwt_audience": "junction", "jwt_leeway_s": 30})
    async with start_gateway(settings) as gw:
        good = {
            "hs256": jwt.encode(claims(ws), SECRET, algorithm="HS256"),
            "rs256": jwt.encode(claims(ws), rsa_key, algorithm="RS256", headers={"kid": "r1"}),
            "es256": jwt.encode(claims(ws), ec_key, algorithm="ES256", headers={"kid": "e1"}),
            "within_skew": jwt.encode(claims(ws, exp=int(time.time()) - 10), SECRET, algorithm="HS256"),
        }
        for name, token in good.items():
            assert await status_with(http, gw.url, token) == 200, name
        other_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        bad = {
            "wrong_secret": jwt.encode(claims(ws), "another-secret-another-secret-32b!", algorithm="HS256"),
            "expired": jwt.encode(claims(ws, exp=int(time.time()) - 120), SECRET, algorithm="HS256"),
            "wrong_audience": jwt.encode(claims(ws, aud="someone-else"), SECRET, algorithm="HS256"),
            "wrong_issuer": jwt.encode(claims(ws, iss="https://evil.test"), SECRET, algorithm="HS256"),
            "unknown_workspace": jwt.encode(claims("wrk_nope"), SECRET, algorithm="HS256"),
            "foreign_rsa_key": jwt.encode(claims(ws), other_rsa, algorithm="RS256", headers={"kid": "r1"}),
            "alg_none": jwt.encode(claims(ws), None, algorithm="none"),
        }
        for name, token in bad.items():
            assert await status_with(http, gw.url, token) == 401, name
        reader = jwt.encode(claims(ws, role="VIEWER"), SECRET, algorithm="HS256")
        async with http.post(f"{gw.url}/v1/contacts", json={"name": "No"},
                             headers={"Authorization": f"Bearer {reader}"}) as resp:
            assert resp.status == 403
        narrowed = jwt.encode(claims(ws, role="OWNER", scope="crm:read"), SECRET, algorithm="HS256")
        async with http.post(f"{gw.url}/v1/contacts", json={"name": "No"},
                             headers={"Authorization": f"Bearer {narrowed}"}) as resp:
            assert resp.status == 403
