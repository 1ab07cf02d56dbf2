"""The publish breaker: open after a failure, then one trial at a time until Kafka acknowledges."""

from __future__ import annotations

import time

from gateway.availability import PublishBreaker


def test_closed_until_a_publish_fails_then_open_for_its_window():
    breaker = PublishBreaker(open_s=0.05)
    breaker.trying()
    assert not breaker.open
    breaker.failed()
    assert breaker.open
    time.sleep(0.06)
    assert not breaker.open  # half open: the next write may try


def test_half_open_lets_one_trial_through_at_a_time():
    breaker = PublishBreaker(open_s=0.0)
    breaker.failed()
    assert not breaker.open
    breaker.trying()
    assert breaker.open  # every other write is refused at once while the trial runs
    breaker.succeeded()
    assert not breaker.open and breaker.healthy


def test_a_cancelled_trial_frees_the_slot_without_counting_a_failure():
    breaker = PublishBreaker(open_s=0.0)
    breaker.failed()
    breaker.trying()
    breaker.abandoned()
    assert not breaker.open and breaker.failures == 1
    healthy = PublishBreaker(open_s=10.0)
    healthy.trying()
    healthy.abandoned()
    assert not healthy.open and healthy.healthy
