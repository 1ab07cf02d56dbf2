"""What a failed run says: the source's (redacted) message, the stream it was reading and, when known, the page
where it failed: the request the source's error names (its path and query, `/v2/deals?cursor=abc`), else the
position the run had read the stream up to (`after record 120`). Pure."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from junction_common.web.envelope import ApiError
from junction_common.web.peers import PeerUnavailable
from sync.app.runs_execute import RunBroken, RunExecution
from sync.runtime.refs import SourceFailed

Doc = dict[str, Any]
URL = re.compile(r"https?://[^\s'\"<>(),]+")


def failed_page(message: str, records_read: int | None) -> str | None:
    """The page the source failed on, as its message names the request; else how far the stream was read."""
    found = URL.search(message)
    if found is not None:
        parts = urlsplit(found.group(0))
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if records_read:
        return f"after record {records_read}"
    return None


def error_of(exc: Exception, execution: RunExecution) -> Doc:
    """What failed: the source's message, the stream it was reading (by the name the run asked for it) and the
    page, or why the run could not go on."""
    last = execution.last_stream
    if isinstance(exc, SourceFailed):
        stream = exc.last_stream or last
        message = exc.message[:2000]
        return {"message": message, "stream": execution.asked(stream) if stream else None,
                "page": failed_page(message, execution.read.get(stream or ""))}
    if isinstance(exc, RunBroken):
        return {"message": exc.message, "stream": exc.stream or (execution.asked(last) if last else None),
                "page": exc.page}
    stream = execution.asked(last) if last else None
    if isinstance(exc, ApiError):  # the tables refused a batch of the stream (a plan's row limit)
        return {"message": exc.message, "stream": stream, "page": failed_page("", execution.read.get(last or ""))}
    message = str(exc) if isinstance(exc, PeerUnavailable | ValueError) else type(exc).__name__
    return {"message": message[:2000], "stream": stream, "page": None}
