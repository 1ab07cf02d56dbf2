"""The sender against a real local HTTP server: signed, no redirects followed, no cookies carried over."""

from __future__ import annotations

from aiohttp import web

from junction_common.testing.infra import free_port
from webhooks.delivery.address_policy import AddressPolicy
from webhooks.delivery.sender import Sender


async def test_no_cookie_or_redirect_is_followed_between_deliveries() -> None:
    seen: list[dict[str, str]] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        if request.path == "/moved":
            raise web.HTTPFound("/elsewhere")
        return web.Response(text="ok", headers={"Set-Cookie": "session=tenant-a; Path=/"})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "localhost", port).start()
    sender = Sender(AddressPolicy.from_settings("127.0.0.0/8,::1/128", False), timeout_s=5, body_limit=10)
    try:
        first = await sender.send(f"http://localhost:{port}/a", "whd_1", b"{}", [b"key"])
        second = await sender.send(f"http://localhost:{port}/b", "whd_2", b"{}", [b"key"])
        moved = await sender.send(f"http://localhost:{port}/moved", "whd_3", b"{}", [b"key"])
    finally:
        await sender.close()
        await runner.cleanup()
    assert first.status == second.status == 200 and first.body == "ok"
    assert "Cookie" not in seen[1]  # another delivery (maybe another workspace's) never gets the cookie
    assert moved.status == 302 and len(seen) == 3  # the redirect was not followed
    assert seen[0]["webhook-id"] == "whd_1" and seen[0]["webhook-signature"].startswith("v1,")
