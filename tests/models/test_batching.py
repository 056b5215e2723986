"""The dynamic batcher local backends share: batches of what is waiting, grouped by key."""

from __future__ import annotations

import asyncio

import pytest

from assay.models._batching import DynamicBatcher


def test_waiting_requests_share_a_batch_of_their_key_and_keep_their_order() -> None:
    batches: list[list[tuple[str, int]]] = []

    def run(items: list[tuple[str, int]]) -> list[str]:
        batches.append(items)
        return [f"{key}{value * 10}" for key, value in items]

    async def main() -> list[str]:
        batcher: DynamicBatcher[tuple[str, int], str] = DynamicBatcher(run, max_batch_size=3, key=lambda i: i[0])
        items = [("a", 1), ("b", 2), ("a", 3), ("a", 4), ("a", 5), ("b", 6)]
        try:
            return list(await asyncio.gather(*(batcher.submit(item) for item in items)))
        finally:
            await batcher.aclose()

    assert asyncio.run(main()) == ["a10", "b20", "a30", "a40", "a50", "b60"]
    assert batches == [[("a", 1), ("a", 3), ("a", 4)], [("b", 2), ("b", 6)], [("a", 5)]]


def test_a_failing_batch_fails_only_its_own_requests() -> None:
    def run(items: list[int]) -> list[int]:
        if 13 in items:
            raise RuntimeError("out of memory")
        return items

    async def main() -> tuple[BaseException | int, ...]:
        batcher: DynamicBatcher[int, int] = DynamicBatcher(run, key=lambda i: i == 13)
        try:
            return tuple(await asyncio.gather(*(batcher.submit(i) for i in (1, 13, 2)), return_exceptions=True))
        finally:
            await batcher.aclose()

    first, failed, second = asyncio.run(main())
    assert (first, second) == (1, 2)
    assert isinstance(failed, RuntimeError)


def test_batch_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        DynamicBatcher(lambda items: items, max_batch_size=0)
