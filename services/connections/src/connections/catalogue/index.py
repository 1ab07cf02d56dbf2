"""The loaded catalogue: every provider by type, in type order, with its source file; lookups and search."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from connections.catalogue.facts import search_text
from connections.catalogue.manifest import Manifest


class Catalogue:
    """Read-only once built: the service loads it at start and every request reads it. `custom` names the types
    of a workspace's own providers (see catalogue.workspace), which have no source file."""

    def __init__(self, manifests: Iterable[Manifest], sources: dict[str, Path] | None = None,
                 custom: Iterable[str] = ()) -> None:
        self._manifests = tuple(sorted(manifests, key=lambda m: m.type))
        self._sources = dict(sources or {})  # type -> the file it was loaded from
        self._by_type = {m.type: m for m in self._manifests}
        self._custom = frozenset(custom)

    @property
    def manifests(self) -> tuple[Manifest, ...]:
        return self._manifests

    @property
    def sources(self) -> dict[str, Path]:
        return self._sources

    @property
    def custom(self) -> frozenset[str]:
        return self._custom

    def __len__(self) -> int:
        return len(self.manifests)

    def get(self, provider_type: str) -> Manifest | None:
        return self._by_type.get(provider_type)

    def in_category(self, category: str | None) -> list[Manifest]:
        """Every provider, or those of `category` (case-insensitive)."""
        if category is None:
            return list(self.manifests)
        wanted = category.lower()
        return [m for m in self.manifests if any(c.lower() == wanted for c in m.categories)]

    def search(self, query: str) -> list[Manifest]:
        """Providers holding every term of `query`; an exact type or name first, then name prefixes, then by name."""
        terms = query.lower().split()
        phrase = " ".join(terms)
        found = [m for m in self.manifests if all(term in search_text(m) for term in terms)]

        def rank(m: Manifest) -> tuple[int, str]:
            name, kind = m.name.lower(), m.type.replace("_", " ")
            if phrase in (name, kind, m.type):
                return 0, name
            return (1 if name.startswith(phrase) or kind.startswith(phrase) else 2), name

        return sorted(found, key=rank)
