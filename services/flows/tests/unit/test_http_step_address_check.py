"""The HTTP step's check of a URL's literal address: an admitted URL is remembered, a refused one is refused
every time (never remembered as admitted)."""

from __future__ import annotations

import asyncio

import pytest

from flows.steps.errors import StepError
from flows.steps.http import HttpSteps
from junction_common.address_policy import AddressPolicy


def _refused(steps: HttpSteps, url: str) -> StepError:
    with pytest.raises(StepError) as caught:
        asyncio.run(steps.request({"url": url}, "idem-1"))
    return caught.value


def test_a_private_literal_address_is_refused_every_time() -> None:
    steps = HttpSteps(AddressPolicy.from_settings("", False))
    for _ in range(2):
        error = _refused(steps, "http://169.254.169.254/latest/meta-data/")
        assert (error.kind, error.code) == ("address", "UNSAFE_TARGET")


def test_an_admitted_url_is_checked_once() -> None:
    steps = HttpSteps(AddressPolicy.from_settings("", False))
    for _ in range(3):
        steps.check("https://api.example.com/v1/things")
    assert steps.check.cache_info().hits == 2
