"""AWS Signature Version 4 (header signing), written out step by step as AWS documents it.

No I/O and no clock: the caller passes the time. Checked against AWS's SigV4 test-suite vectors
(libs/common/tests/unit/test_sigv4.py).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str

    def __repr__(self) -> str:  # the secret never reaches a log line or a traceback
        return f"Credentials(access_key_id={self.access_key_id!r}, secret_access_key='**********')"


@dataclass(frozen=True)
class Request:
    """What is signed: the method, the path as sent (already URI-encoded), query pairs (not yet encoded)
    and the headers (including Host)."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]


def uri_encode(value: str) -> str:
    """RFC 3986 encoding as SigV4 wants it: everything but unreserved characters (A-Z a-z 0-9 - _ . ~)."""
    return quote(value, safe="-_.~")


def canonical_query(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{k}={v}" for k, v in sorted((uri_encode(k), uri_encode(v)) for k, v in pairs))


def _trim(value: str) -> str:
    return " ".join(value.strip().split())


def canonical_headers(headers: dict[str, str]) -> tuple[str, str]:
    """The canonical header block and the signed-headers list (lower-case names, sorted, values trimmed)."""
    folded: dict[str, list[str]] = {}
    for name, value in headers.items():
        folded.setdefault(name.lower().strip(), []).append(_trim(value))
    names = sorted(folded)
    block = "".join(f"{n}:{','.join(folded[n])}\n" for n in names)
    return block, ";".join(names)


def canonical_request(request: Request, payload_hash: str) -> str:
    block, signed = canonical_headers(request.headers)
    return "\n".join([request.method.upper(), request.path or "/", canonical_query(request.query), block, signed,
                      payload_hash])


def credential_scope(date: str, region: str, service: str) -> str:
    return f"{date}/{region}/{service}/aws4_request"


def string_to_sign(amz_date: str, scope: str, canonical: str) -> str:
    return "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def signing_key(secret_access_key: str, date: str, region: str, service: str) -> bytes:
    key = _hmac(f"AWS4{secret_access_key}".encode(), date)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    return key


def amz_date(when: datetime) -> str:
    return when.strftime("%Y%m%dT%H%M%SZ")


def authorization(request: Request, payload_hash: str, credentials: Credentials, region: str, service: str,
                  when: str) -> str:
    """The Authorization header for `request`, whose headers already carry Host and X-Amz-Date (= `when`)."""
    scope = credential_scope(when[:8], region, service)
    canonical = canonical_request(request, payload_hash)
    key = signing_key(credentials.secret_access_key, when[:8], region, service)
    signature = hmac.new(key, string_to_sign(when, scope, canonical).encode(), hashlib.sha256).hexdigest()
    _, signed = canonical_headers(request.headers)
    return (f"{ALGORITHM} Credential={credentials.access_key_id}/{scope}, SignedHeaders={signed}, "
            f"Signature={signature}")


def sign_s3(request: Request, payload_hash: str, credentials: Credentials, region: str,
            when: datetime) -> dict[str, str]:
    """The headers to send to S3: the request's own plus X-Amz-Date, X-Amz-Content-Sha256 and Authorization."""
    stamp = amz_date(when)
    headers = {**request.headers, "x-amz-date": stamp, "x-amz-content-sha256": payload_hash}
    signed = Request(request.method, request.path, request.query, headers)
    return {**headers, "Authorization": authorization(signed, payload_hash, credentials, region, "s3", stamp)}
