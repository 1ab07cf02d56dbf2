"""The URL half: the provider's origin (a region's base, host placeholders filled), the path prefix, the caller's
path and query checked so that nothing they hold can move the call to another host or out of the prefix."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote, unquote_plus, urlsplit

from pydantic import HttpUrl

from connections.catalogue.manifest import PLACEHOLDER, Manifest
from connections.requests.model import Credential, QueryValue, RequestRefused

HOST_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
PATH_SEGMENT = re.compile(r"[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,199}")
PATH_CHARS = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*")  # RFC 3986 pchar and `/`
QUERY_CHARS = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*")
LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int | None
    base_path: str  # without its trailing `/`

    @property
    def netloc(self) -> str:
        explicit = self.port is not None and self.port != DEFAULT_PORTS.get(self.scheme)
        return f"{self.host}:{self.port}" if explicit else self.host


def origin(manifest: Manifest, credential: Credential) -> Origin:
    """The base URL of the connection's region with each `{field}` of its host filled by a plain host label."""
    base = _base(manifest, credential)
    host = PLACEHOLDER.sub(lambda m: _host_label(m.group(1), credential), base.host or "")
    return Origin(base.scheme, host, base.port, (base.path or "").rstrip("/"))


def _base(manifest: Manifest, credential: Credential) -> HttpUrl:
    region = (credential.fields.get("region") or "").strip().lower()
    if not region:
        return manifest.api_base_url
    if region not in manifest.regions:
        raise RequestRefused("unknown_region", f"{manifest.type} has no region {region!r}")
    return manifest.regions[region]


def _host_label(name: str, credential: Credential) -> str:
    value = (credential.fields.get(name) or "").lower()
    if not value:
        raise RequestRefused("missing_value", f"the host needs the field {name}")
    if not HOST_LABEL.fullmatch(value):
        raise RequestRefused("bad_value", f"the field {name} is not a plain host label")
    return value


def path_prefix(manifest: Manifest, credential: Credential) -> str:
    """`api_path_prefix` with each `{field}` filled by a plain path segment ('' without a prefix)."""
    return PLACEHOLDER.sub(lambda m: _segment(m.group(1), credential), manifest.api_path_prefix or "")


def _segment(name: str, credential: Credential) -> str:
    value = credential.fields.get(name) or ""
    if not value:
        raise RequestRefused("missing_value", f"the path prefix needs the field {name}")
    if not PATH_SEGMENT.fullmatch(value) or ".." in value:
        raise RequestRefused("bad_value", f"the field {name} is not a plain path segment")
    return value


def split_path(path: str) -> tuple[str, str]:
    """The caller's path and raw query string, refused when the path could leave the host or the prefix: not
    starting with one `/`, a fragment, characters a URL path cannot hold, `.`/`..` segments, a backslash, or any
    of these once percent-decoded (however many times encoded)."""
    raw_path, _, raw_query = path.partition("?")
    if "#" in path or not raw_path.startswith("/") or raw_path.startswith("//"):
        raise RequestRefused("bad_path", "the path starts with one `/`, holds no fragment and names no host")
    if not PATH_CHARS.fullmatch(raw_path) or LONE_PERCENT.search(raw_path):
        raise RequestRefused("bad_path", "the path holds characters a URL path cannot (percent-encode them)")
    decoded = _decoded(raw_path)
    if decoded.startswith("//") or "\\" in decoded or any(ord(c) < 0x20 or ord(c) == 0x7F for c in decoded):
        raise RequestRefused("bad_path", "the decoded path names a host or holds control characters")
    if any(segment in (".", "..") for segment in decoded.split("/")):
        raise RequestRefused("bad_path", "the path holds `.` or `..` segments")
    if not QUERY_CHARS.fullmatch(raw_query) or LONE_PERCENT.search(raw_query):
        raise RequestRefused("bad_path", "the query string holds characters a URL query cannot")
    return raw_path, raw_query


def _decoded(raw: str) -> str:
    for _ in range(5):
        once = unquote(raw)
        if once == raw:
            return raw
        raw = once
    raise RequestRefused("bad_path", "the path is encoded too many times")


def query_string(raw: str, query: Mapping[str, QueryValue], credential_param: str | None) -> str:
    """The path's own query, then `query`'s parameters, without any parameter named like the credential's."""
    parts = [p for p in raw.split("&") if p and unquote_plus(p.partition("=")[0]) != credential_param]
    for name, value in query.items():
        if name == credential_param:
            continue
        values = [value] if isinstance(value, str) else list(value)
        parts += [f"{quote(str(name), safe='')}={quote(str(v), safe='')}" for v in values]
    return "&".join(parts)


def check_host(url: str, expected: Origin) -> None:
    """The final URL's scheme, host and port are the manifest's (after templating), with no user in it."""
    split = urlsplit(url)
    if (split.scheme, split.hostname, split.port or DEFAULT_PORTS.get(split.scheme)) != (
            expected.scheme, expected.host, expected.port or DEFAULT_PORTS.get(expected.scheme)) or split.username:
        raise RequestRefused("host_changed", "the request would leave the provider's host")
