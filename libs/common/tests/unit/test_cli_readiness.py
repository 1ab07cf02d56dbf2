"""`junction up` waits for every process: the gateway's /readyz and each service's internal /healthz."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from junction_common.cli import readiness


class _Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        code = self.status if self.path in ("/healthz", "/readyz") else 404
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


class _Unavailable(_Health):
    status = 503


def _serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def healthy() -> Iterator[str]:
    yield from _serve(_Health)


@pytest.fixture
def unavailable() -> Iterator[str]:
    yield from _serve(_Unavailable)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_probes_ask_the_gateway_readiness_and_every_internal_api() -> None:
    asked = readiness.probes(8000, {"crm": "http://127.0.0.1:8101/", "gateway": "http://127.0.0.1:8100"})
    assert asked == {"gateway": "http://127.0.0.1:8000/readyz", "crm": "http://127.0.0.1:8101/healthz",
                     "gateway (internal)": "http://127.0.0.1:8100/healthz"}


def test_all_answering_is_ready(healthy: str) -> None:
    said: list[str] = []
    assert readiness.wait_ready({"crm": f"{healthy}/healthz", "gateway": f"{healthy}/readyz"}, 5.0, said.append) == []
    assert sorted(said) == ["crm is ready", "gateway is ready"]


def test_a_service_not_listening_or_answering_503_is_named(healthy: str, unavailable: str) -> None:
    asked = {"crm": f"{healthy}/healthz", "flows": f"http://127.0.0.1:{_closed_port()}/healthz",
             "sync": f"{unavailable}/healthz"}
    assert readiness.wait_ready(asked, 0.3, interval=0.05) == ["flows", "sync"]
