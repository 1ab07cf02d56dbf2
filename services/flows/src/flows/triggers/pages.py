"""A poll round's pages: the stream's pagination followed page after page through the connections proxy, up to
`maxPages` (default 10, at most 100) and `MAX_ITEMS` records.

The pagination is the stream's own (`pagination` of the provider's stream, as the manifest declares it for the
sync service: `page`, `offset`, `cursor`, `next_url`, `link` or `none`), else the subscription's
`config.pagination` (the same fields, camelCase); with neither, one request. Where the records sit is the
stream's `recordsPath` (or `config.recordsPath`), else the first list under `data`, `results`, `items`,
`records` or the stream's name. A next page's URL (`next_url`, `link`) must be under the provider's API base URL:
another host ends the round there (the proxy never leaves the provider's host anyway).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flows_contracts import triggers as tx

Doc = dict[str, Any]
RECORD_KEYS = ("data", "results", "items", "records")
MAX_ITEMS = 5000
DEFAULT_MAX_PAGES = 10
MAX_PAGES = tx.MAX_POLL_PAGES
STYLES = tx.PAGINATION_STYLES
_LINK_NEXT = re.compile(r'<([^>]+)>\s*;[^,]*rel="?next"?', re.IGNORECASE)


@dataclass(frozen=True)
class Paging:
    """How one stream's pages follow each other (connections.catalogue.manifest.Pagination's fields)."""

    style: str = "none"
    page_size: int = 100
    param: str | None = None
    size_param: str | None = None
    token_path: str | None = None
    start_from: int = 1

    @classmethod
    def of(cls, spec: Any) -> Paging:
        """From a manifest's (snake_case) or a config's (camelCase) pagination; none: one request."""
        if not isinstance(spec, dict) or spec.get("style") not in STYLES:
            return cls()
        field = {"page_size": "pageSize", "size_param": "sizeParam", "token_path": "tokenPath",
                 "start_from": "startFrom"}

        def read(name: str, default: Any) -> Any:
            return spec.get(name, spec.get(field.get(name, name), default))

        return cls(str(spec["style"]), int(read("page_size", 100)), read("param", None), read("size_param", None),
                   read("token_path", None), int(read("start_from", 1)))

    def first(self) -> Doc:
        """The first page's query parameters."""
        query: Doc = {self.size_param: str(self.page_size)} if self.size_param else {}
        if self.style == "page":
            query[self.param or "page"] = str(self.start_from)
        elif self.style == "offset":
            query[self.param or "offset"] = "0"
        return query

    def next(self, query: Doc, body: Any, headers: Doc, records: int, base_url: str) -> tuple[str | None, Doc] | None:
        """The next page after one that gave `records` records: (a path from the base URL to ask instead of the
        stream's, or None for the stream's; its query), or None when that page was the last."""
        if (self.style in ("page", "offset") and records < self.page_size) or records == 0:
            return None
        if self.style == "page":
            name = self.param or "page"
            return None, {**query, name: str(int(query[name]) + 1)}
        if self.style == "offset":
            name = self.param or "offset"
            return None, {**query, name: str(int(query[name]) + records)}
        if self.style == "cursor":
            token = dig(body, self.token_path)
            return (None, {**query, self.param or "cursor": str(token)}) if token not in (None, "") else None
        url = dig(body, self.token_path) if self.style == "next_url" else link_next(headers.get("link"))
        return under(url, base_url)


def dig(body: Any, path: str | None) -> Any:
    """The value at a dot path of a JSON body (None when absent)."""
    for part in (path or "").split(".") if path else []:
        if not isinstance(body, dict):
            return None
        body = body.get(part)
    return body


def link_next(header: Any) -> str | None:
    """The `rel="next"` URL of a Link header."""
    found = _LINK_NEXT.search(header) if isinstance(header, str) else None
    return found.group(1) if found else None


def under(url: Any, base_url: str) -> tuple[str | None, Doc] | None:
    """A next page's full URL as a path from the provider's base URL (None outside it)."""
    base = base_url.rstrip("/")
    if not isinstance(url, str) or not base or not url.startswith(base + "/"):
        return None
    return url[len(base):], {}


def records_of(answer: Any, stream: str, records_path: str | None = None) -> list[Doc]:
    """The records of a page: at `records_path` when given, else the answer itself when a list, else its first
    list under `data`, `results`, `items`, `records` or the stream's name."""
    if records_path:
        answer = dig(answer, records_path)
    if isinstance(answer, list):
        return [r for r in answer if isinstance(r, dict)]
    if isinstance(answer, dict):
        for key in (*RECORD_KEYS, stream):
            if isinstance(answer.get(key), list):
                return [r for r in answer[key] if isinstance(r, dict)]
    return []


def with_query(path: str, query: Doc) -> str:
    """The path with the page's query parameters added."""
    if not query:
        return path
    return path + ("&" if "?" in path else "?") + urlencode(query)


def max_pages(config: Doc) -> int:
    """The round's bound on pages: `config.maxPages` (1-100), default 10."""
    asked = config.get("maxPages", DEFAULT_MAX_PAGES)
    return min(max(int(asked), 1), MAX_PAGES) if isinstance(asked, int) else DEFAULT_MAX_PAGES
