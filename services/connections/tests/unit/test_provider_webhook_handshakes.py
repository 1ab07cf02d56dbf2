"""The GET handshakes' answers, pure: Meta's hub.challenge only with the subscription's verify token, Dropbox's
challenge echoed with nosniff, nothing for a provider that makes none."""

from __future__ import annotations

from connections.inbound.handshakes import challenge_answer

META = {"hub.mode": "subscribe", "hub.verify_token": "vt-1", "hub.challenge": "1158201444"}


def test_meta_answers_the_challenge_only_with_its_verify_token_and_mode() -> None:
    assert challenge_answer("meta", META, "vt-1").status == 200
    assert challenge_answer("meta", META, "vt-1").text == "1158201444"
    assert challenge_answer("meta", META, "vt-2").status == 403
    assert challenge_answer("meta", {**META, "hub.mode": "unsubscribe"}, "vt-1").status == 403
    assert challenge_answer("meta", {**META, "hub.challenge": ""}, "vt-1").status == 403
    assert challenge_answer("meta", {**META, "hub.verify_token": ""}, "").status == 403  # no token kept: refused


def test_dropbox_echoes_its_challenge_as_text_without_sniffing() -> None:
    answer = challenge_answer("dropbox", {"challenge": "abc"}, "")
    assert (answer.status, answer.text, answer.headers) == (200, "abc", {"X-Content-Type-Options": "nosniff"})
    assert challenge_answer("dropbox", {}, "").status == 400
    assert challenge_answer("dropbox", {"challenge": "x" * 1001}, "").status == 400


def test_a_provider_without_a_get_handshake_answers_404() -> None:
    assert challenge_answer(None, {"challenge": "abc"}, "").status == 404
    assert challenge_answer("asana", {"challenge": "abc"}, "").status == 404
