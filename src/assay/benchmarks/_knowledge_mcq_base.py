"""Shared pieces of the knowledge multiple-choice benchmarks (cmmlu, hellaswag, truthful_qa, ...).

Several of EvalScope's hub datasets keep every subject in one configuration and tell them apart by a
column (EvalScope's ``reformat_subset``); :class:`GroupedHubMixin` downloads such a split once and
hands each subset its rows.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

from assay.benchmarks._base import BenchmarkAdapter, SplitOrigin
from assay.datasets import load_hub_split


class GroupedHubMixin(BenchmarkAdapter):
    """Hub loading for datasets whose subsets are rows of one configuration, keyed by a column."""

    #: Hub configuration that holds every subset.
    hub_config: ClassVar[str] = "default"
    #: Column whose value names the subset of a row (also read from local snapshots, see the base).
    subset_column: ClassVar[str | None] = "category"

    def load_hub_records(self, subset: str, split: str) -> tuple[list[dict[str, Any]], SplitOrigin]:
        cache: dict[str, tuple[list[dict[str, Any]], SplitOrigin]] = self.__dict__.setdefault("_grouped_hub", {})
        if split not in cache:
            loaded = load_hub_split(
                self.meta.dataset_id, self.hub_config, split, hub=self.dataset_hub, revision=self.meta.dataset_revision
            )
            origin = SplitOrigin(
                self.hub_config, split, loaded.dataset_id, loaded.hub, loaded.revision, loaded.resolved_revision
            )
            cache[split] = (loaded.records, origin)
        records, origin = cache[split]
        column = self.subset_column
        return [r for r in records if column is None or r.get(column) == subset], replace(origin, subset=subset)
