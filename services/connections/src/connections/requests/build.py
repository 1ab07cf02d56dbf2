"""Build the request to send from a manifest, a connection's credential and a relative request."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote

from connections.catalogue.manifest import PLACEHOLDER, Manifest
from connections.requests.credentials import credential_parts, manifest_headers
from connections.requests.headers import caller_headers, merge
from connections.requests.model import Credential, PreparedRequest, ProviderRequest, RequestRefused
from connections.requests.urls import check_host, origin, path_prefix, query_string, split_path

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
DEFAULT_USER_AGENT = "Junction"


def build_request(manifest: Manifest, credential: Credential, request: ProviderRequest, *,
                  user_agent: str = DEFAULT_USER_AGENT) -> PreparedRequest:
    """The absolute URL (the connection's base URL and path prefix, then the caller's path and query) and the
    headers: a User-Agent, the manifest's constant headers (the caller may override those), the caller's allowed
    headers, the manifest's templated headers, then the credential. Refuses (`RequestRefused`) anything that would
    leave the provider's host; drops the caller's headers that are not allowed and any query parameter named like
    the credential's."""
    method = request.method.upper()
    if method not in METHODS:
        raise RequestRefused("bad_method", f"{request.method!r} is not a method the proxy sends")
    base = origin(manifest, credential)
    prefix = path_prefix(manifest, credential)
    path, raw_query = split_path(request.path)
    secret_headers, secret_param = credential_parts(manifest, credential)
    constants, templated = manifest_headers(manifest, credential)
    protected = frozenset(n.lower() for n in (*secret_headers, *templated))
    passed, dropped = caller_headers(request.headers, frozenset(n.lower() for n in constants), protected)
    headers = merge(merge(merge(merge({"User-Agent": user_agent}, constants), passed), templated), secret_headers)
    query = query_string(raw_query, request.query, secret_param[0] if secret_param else None)
    if secret_param is not None:
        credential_query = f"{quote(secret_param[0], safe='')}={quote(secret_param[1], safe='')}"
        query = f"{query}&{credential_query}" if query else credential_query
    url = f"{base.scheme}://{base.netloc}{base.base_path}{prefix}{path}" + (f"?{query}" if query else "")
    check_host(url, base)
    return PreparedRequest(method=method, url=url, headers=headers, body=request.body, host=base.host,
                           dropped_headers=dropped)


def build_test_request(manifest: Manifest, credential: Credential, *,
                       user_agent: str = DEFAULT_USER_AGENT) -> PreparedRequest:
    """The manifest's credential test (`test`), its path's `{field}`s filled from the connection's fields."""
    if manifest.test is None:
        raise RequestRefused("no_test", f"{manifest.type} declares no credential test")
    path = expand_path(manifest.test.path, credential.fields)
    return build_request(manifest, credential, ProviderRequest(method=manifest.test.method, path=path),
                         user_agent=user_agent)


def expand_path(template: str, values: Mapping[str, str]) -> str:
    """A path template (`/lists/{listId}/members?since={since}`) with each `{name}` replaced by its value,
    percent-encoded whole (a `/` in a value stays inside its segment); `.` and `..` values are refused."""
    def value(match: re.Match[str]) -> str:
        found = values.get(match.group(1))
        if found is None or found == "":
            raise RequestRefused("missing_value", f"the path needs {match.group(1)}")
        if found in (".", ".."):
            raise RequestRefused("bad_value", f"{match.group(1)} is not a path segment")
        return quote(str(found), safe="")

    return PLACEHOLDER.sub(value, template)
