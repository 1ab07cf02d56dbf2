"""Dropping a test's databases survives nx-27017's transient "disk I/O error" on database-wide calls."""

from __future__ import annotations

import pytest
from pymongo.errors import OperationFailure

from junction_common.testing import infra


class Flaky:
    def __init__(self, failures: int, message: str = "disk I/O error") -> None:
        self.failures, self.message, self.calls = failures, message, 0

    async def __call__(self) -> list[str]:
        self.calls += 1
        if self.calls <= self.failures:
            raise OperationFailure(self.message)
        return ["db"]


async def test_a_transient_disk_io_error_is_retried() -> None:
    call = Flaky(failures=2)
    assert await infra._transient_io(call) == ["db"]
    assert call.calls == 3


async def test_another_error_is_raised_at_once() -> None:
    call = Flaky(failures=1, message="not authorized")
    with pytest.raises(OperationFailure):
        await infra._transient_io(call)
    assert call.calls == 1


async def test_a_lasting_disk_io_error_gives_up_with_a_warning() -> None:
    call = Flaky(failures=100)
    with pytest.warns(UserWarning, match="not dropped"):
        assert await infra._transient_io(call) is None
