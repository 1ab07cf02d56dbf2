"""Which provider stream a requested stream name means: the stream's own name, or an alias its provider's catalogue
declares for it (a CRM's unified `contacts`, `companies`, `deals`, as Pipedrive's `persons` answers to `contacts`).
A run reads the provider's stream and names its table and results by the name asked for. Pure, but for the
trigger's check (`checked`), which asks the connections service for the provider's streams."""

from __future__ import annotations

from typing import Any

from junction_common.web.envelope import ApiError
from junction_common.web.peers import PeerUnavailable

Doc = dict[str, Any]


class UnknownStream(ValueError):
    """A requested name the provider has neither as a stream nor as an alias (`index` in the request)."""

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.message, self.index = message, index


def names_of(provider: Doc) -> dict[str, str]:
    """Every name a provider's declared streams answer to -> the stream's own name (own names win over aliases)."""
    names: dict[str, str] = {}
    for stream in provider.get("streams") or []:
        names[stream["name"]] = stream["name"]
    for stream in provider.get("streams") or []:
        for alias in stream.get("aliases") or []:
            names.setdefault(alias, stream["name"])
    return names


def resolve(provider: Doc, requested: list[str], *, strict: bool) -> dict[str, str]:
    """The provider stream of each requested name -> the name asked for. `strict`: a name the provider does not
    declare is refused (else it passes as it is, for a source whose streams only its discover knows); a stream
    asked for twice (by its name and an alias) is refused either way."""
    names, asked = names_of(provider), dict[str, str]()
    for index, name in enumerate(requested):
        stream = names.get(name)
        if stream is None and strict:
            known = ", ".join(sorted(names)) or "none"
            raise UnknownStream(f"The provider has no stream {name!r} (its streams and aliases: {known}).", index)
        stream = stream or name
        if stream in asked:
            raise UnknownStream(f"The stream {name!r} is the provider's {stream!r}, already asked for as "
                                f"{asked[stream]!r}.", index)
        asked[stream] = name
    return asked


def declares_streams(answer: Doc) -> bool:
    """Whether the provider's declared streams are the source's (no source program of its own to discover)."""
    return (answer.get("source") or {"kind": "streams"}).get("kind") == "streams"


async def checked(peers: Any, workspace_id: str, connection_id: str, requested: list[str], *,
                  strict: bool = True) -> dict[str, str]:
    """The trigger's check, at once: each requested name resolved against the provider's declared streams
    (`resolve`), refused as a VALIDATION_ERROR at `/streams/<index>`; nothing is refused when the source discovers
    its own streams or the connection's source is not available (the run says why). Not `strict`: aliases
    resolved, other names kept as they are."""
    if not requested:
        return {}
    try:
        answer = await peers.call("GET", "connections", f"/runtime/connections/{connection_id}/source", workspace_id)
    except PeerUnavailable:  # the run asks again when it starts, and fails saying why if it must
        return {name: name for name in requested}
    if not answer.ok or not isinstance(answer.body, dict):
        return {name: name for name in requested}
    try:
        return resolve(answer.body.get("provider") or {}, requested,
                       strict=strict and declares_streams(answer.body))
    except UnknownStream as exc:
        raise ApiError("VALIDATION_ERROR", exc.message,
                       [{"pointer": f"/streams/{exc.index}", "field": "streams", "message": exc.message}]) from None

