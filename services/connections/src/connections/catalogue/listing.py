"""docs/providers.md, generated from the built-in manifests: `python -m connections.catalogue.listing`.

A test compares the file with what this prints, so the list in the docs is always the catalogue's.
"""

from __future__ import annotations

from connections.catalogue.index import Catalogue
from connections.catalogue.loader import load_catalogue
from connections.catalogue.manifest import Manifest


def _auth(m: Manifest) -> str:
    return {"api_key": "API key", "basic": "basic", "oauth2": "OAuth 2.0",
            "oauth2_client_credentials": "OAuth 2.0 client credentials"}[m.auth.kind]


def _row(m: Manifest) -> str:
    caps = f"{len(m.streams)} / {len(m.actions)} / {len(m.triggers)}"
    return (f"| `{m.type}` | [{m.name}]({m.docs_url}) | {', '.join(m.categories)} | {_auth(m)} | {caps} | "
            f"{'yes' if m.complete else ''} |")


def render(catalogue: Catalogue) -> str:
    complete = sum(m.complete for m in catalogue.manifests)
    lines = [
        "# Built-in providers",
        "",
        f"{len(catalogue)} providers, {complete} of them complete (a credential test, two streams, two actions and a",
        "trigger). Generated from `services/connections/src/connections/catalogue/providers/*.yaml` by",
        "`python -m connections.catalogue.listing > docs/providers.md`.",
        "How to add one: [connections.md](connections.md).",
        "",
        "| type | provider | categories | auth | streams / actions / triggers | complete |",
        "|---|---|---|---|---|---|",
        *(_row(m) for m in catalogue.manifests),
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(load_catalogue()), end="")
