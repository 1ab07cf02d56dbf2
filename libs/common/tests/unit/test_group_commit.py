"""Group commit: concurrent submissions share flushes, each caller gets its own result, failures reach the
callers of the failed batch only; with a linger, items arriving within it go together, and `size` items waiting
send the batch at once."""

from __future__ import annotations

import asyncio

import pytest

from junction_common.batching import GroupCommit


async def test_concurrent_submissions_share_flushes_and_keep_their_results() -> None:
    batches: list[list[int]] = []

    async def flush(items: list[int]) -> list[int]:
        batches.append(items)
        await asyncio.sleep(0.01)
        return [item * 10 for item in items]

    commit: GroupCommit[int, int] = GroupCommit(flush)
    results = await asyncio.gather(*(commit.submit(i) for i in range(50)))
    assert results == [i * 10 for i in range(50)]
    assert sorted(x for batch in batches for x in batch) == list(range(50))
    assert len(batches) < 50  # the ones that came while a flush ran went together


async def test_a_lone_submission_is_flushed_at_once() -> None:
    commit: GroupCommit[str, str] = GroupCommit(lambda items: _echo(items))
    assert await asyncio.wait_for(commit.submit("a"), 1.0) == "a"


async def _echo(items: list[str]) -> list[str]:
    return items


async def test_a_failed_flush_fails_its_callers_and_later_batches_still_run() -> None:
    calls = 0

    async def flush(items: list[int]) -> list[int]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("server gone")
        return items

    commit: GroupCommit[int, int] = GroupCommit(flush)
    with pytest.raises(RuntimeError):
        await commit.submit(1)
    assert await commit.submit(2) == 2


async def test_a_flush_that_miscounts_its_results_fails_its_callers() -> None:
    async def flush(items: list[int]) -> list[int]:
        return []

    commit: GroupCommit[int, int] = GroupCommit(flush)
    with pytest.raises(RuntimeError, match="results"):
        await commit.submit(1)


async def test_batches_are_capped() -> None:
    sizes: list[int] = []

    async def flush(items: list[int]) -> list[int]:
        sizes.append(len(items))
        await asyncio.sleep(0)
        return items

    commit: GroupCommit[int, int] = GroupCommit(flush, size=4)
    await asyncio.gather(*(commit.submit(i) for i in range(10)))
    assert max(sizes) <= 4 and sum(sizes) == 10


async def test_items_arriving_within_the_linger_go_in_one_batch() -> None:
    batches: list[list[int]] = []

    async def flush(items: list[int]) -> list[int]:
        batches.append(items)
        return items

    commit: GroupCommit[int, int] = GroupCommit(flush, wait_s=0.2)

    async def later(item: int) -> int:
        await asyncio.sleep(0.01)
        return await commit.submit(item)

    assert await asyncio.gather(commit.submit(0), later(1), later(2)) == [0, 1, 2]
    assert batches == [[0, 1, 2]]


async def test_a_full_batch_is_sent_without_waiting_out_the_linger() -> None:
    batches: list[list[int]] = []

    async def flush(items: list[int]) -> list[int]:
        batches.append(items)
        return items

    commit: GroupCommit[int, int] = GroupCommit(flush, size=3, wait_s=3600)
    first = asyncio.create_task(commit.submit(0))
    await asyncio.sleep(0.01)  # the first item lingers
    results = await asyncio.wait_for(asyncio.gather(first, commit.submit(1), commit.submit(2)), 5.0)
    assert results == [0, 1, 2] and batches == [[0, 1, 2]]


async def test_a_lingering_item_is_sent_when_the_linger_ends() -> None:
    commit: GroupCommit[str, str] = GroupCommit(lambda items: _echo(items), wait_s=0.01)
    assert await asyncio.wait_for(commit.submit("a"), 5.0) == "a"


async def test_drain_sends_a_lingering_batch_at_once() -> None:
    batches: list[list[int]] = []

    async def flush(items: list[int]) -> list[int]:
        batches.append(items)
        return items

    commit: GroupCommit[int, int] = GroupCommit(flush, wait_s=3600)
    waiting = asyncio.create_task(commit.submit(7))
    await asyncio.sleep(0)
    await asyncio.wait_for(commit.drain(), 5.0)
    assert batches == [[7]] and await waiting == 7
