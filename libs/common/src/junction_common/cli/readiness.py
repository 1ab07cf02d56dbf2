"""Waiting for `junction up`'s processes: the gateway's readiness and every service's internal liveness."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable, Mapping


def probes(gateway_port: int, service_urls: Mapping[str, str]) -> dict[str, str]:
    """What to ask, by process name: the gateway's `/readyz`, each internal API's `/healthz`.

    A service serves its internal API only once its consumers have joined their Kafka groups, so its
    `/healthz` answering means the gateway's calls to it are answered too."""
    asked = {"gateway": f"http://127.0.0.1:{gateway_port}/readyz"}
    for name, url in service_urls.items():
        asked[name if name != "gateway" else "gateway (internal)"] = f"{url.rstrip('/')}/healthz"
    return asked


def answers_ok(url: str) -> bool:
    """True when `url` answers 200 within 2 s."""
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def wait_ready(asked: Mapping[str, str], timeout: float, say: Callable[[str], None] = lambda _: None,
               interval: float = 0.5) -> list[str]:
    """Poll every probe until all answer 200 or `timeout` passes; the names still not ready (empty: all are)."""
    waiting = dict(asked)
    deadline = time.monotonic() + timeout
    while True:
        for name in [n for n, url in waiting.items() if answers_ok(url)]:
            del waiting[name]
            say(f"{name} is ready")
        if not waiting or time.monotonic() >= deadline:
            return sorted(waiting)
        time.sleep(interval)
