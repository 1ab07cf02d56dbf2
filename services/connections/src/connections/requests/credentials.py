"""The credential half: where the key, the basic pair or the OAuth token goes, and the manifest's own headers."""

from __future__ import annotations

import base64
import re

from connections.catalogue.manifest import PLACEHOLDER, ApiKeyAuth, BasicAuth, Manifest, placeholders
from connections.requests.model import Credential, RequestRefused


def render(template: str, credential: Credential, what: str) -> str:
    """A template with each `{field}` replaced by the connection's value; a value spanning lines is refused."""
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        found = credential.value(name)
        if found is None:
            raise RequestRefused("missing_value", f"{what} needs the field {name}")
        if any(c in found for c in "\r\n\0"):
            raise RequestRefused("bad_value", f"the field {name} holds a line break")
        return found

    return PLACEHOLDER.sub(value, template)


def credential_parts(manifest: Manifest, credential: Credential) -> tuple[dict[str, str], tuple[str, str] | None]:
    """The headers carrying the credential, and the query parameter carrying it (a query key) as (name, value)."""
    auth = manifest.auth
    if isinstance(auth, ApiKeyAuth):
        if auth.location == "basic":
            return {"Authorization": _basic(auth.template, credential)}, None
        value = render(auth.template, credential, "the key")
        name = auth.name or ""
        return ({name: value}, None) if auth.location == "header" else ({}, (name, value))
    if isinstance(auth, BasicAuth):
        return {"Authorization": _basic(auth.credentials_template, credential)}, None
    token = credential.access_token
    if not token:
        raise RequestRefused("no_credential", f"{manifest.type} needs an OAuth access token")
    if any(c in token for c in "\r\n\0 "):
        raise RequestRefused("bad_value", "the access token holds a space or a line break")
    return {"Authorization": f"{auth.token_prefix} {token}".lstrip()}, None


def _basic(template: str, credential: Credential) -> str:
    """HTTP basic over `username:password`: the user is what precedes the template's first `:`."""
    user_template, _, password_template = template.partition(":")
    user = render(user_template, credential, "the basic user")
    if ":" in user:
        raise RequestRefused("bad_value", "the basic user holds a `:`")
    password = render(password_template, credential, "the basic password")
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def manifest_headers(manifest: Manifest, credential: Credential) -> tuple[dict[str, str], dict[str, str]]:
    """The manifest's headers as (constants, templated): a templated header naming an optional field the connection
    lacks is left out; one naming a required field it lacks is refused."""
    optional = {f.name for f in manifest.auth.fields if not f.required}
    constants: dict[str, str] = {}
    templated: dict[str, str] = {}
    for name, template in manifest.headers.items():
        names = placeholders(template)
        if not names:
            constants[name] = template
        elif all(credential.value(n) is not None or n not in optional for n in names):
            templated[name] = render(template, credential, f"the {name} header")
    return constants, templated
