"""MTEB tasks by name: ``--datasets mteb:<Task>`` (``pip install 'assay[mteb]'``).

Why the ``mteb`` package runs the task instead of Assay's own metric modules: MTEB has hundreds of
tasks (C-MTEB's among them), each with its own loader, language subsets, sampling and evaluator, and
a score that "reproduces MTEB" is the number MTEB's own evaluator computes. So Assay supplies only
the model: :class:`AssayMtebEncoder`, an mteb encoder whose vectors come from the run's
:class:`~assay.embed.tasks.Encoders`, and with them batching, concurrency, retries, the
``dimensions`` check, the vector cache (a rerun sends nothing) and the query/passage prefixes
(a document gets ``passage_prefix``; queries and the texts of symmetric tasks get
``query_prefix``, e5's rule, as in the custom tasks). ``mteb``'s ``evaluate`` is synchronous, so
it runs in a worker thread and each ``encode`` call hands its texts to the event loop and waits.

Options (``dataset_args["mteb:<Task>"]``):

- ``local_path``: a local copy of the task's dataset repository (what ``git clone`` of the hub
  repo gives: its README's ``configs`` say which file is which), for machines that cannot reach
  the hub. Unset, ``mteb`` loads the pinned revision from the hub or the local Hugging Face cache.
  ``datasets`` keys its cache of a local folder by the folder's name and layout, not by what the
  files hold, so an edited copy would be read stale: a local copy is loaded through a ``datasets``
  cache of its own, ``$ASSAY_CACHE_DIR/mteb/<fingerprint of every file's path, size and mtime>``.
- ``split``: the split to score, default the task's first evaluation split.
- ``subsets``: the language subsets to run, default all of the task's.

The report has every numeric score MTEB gives, the task's main score first under its MTEB name
(``ndcg_at_10``, ``cosine_spearman`` ...); a task with several subsets reports the mean over them,
MTEB's own task score, and one record per subset with that subset's scores.

Example:
    >>> mteb_task_name("mteb:SciFact"), mteb_task_name("custom_sts")
    ('SciFact', None)
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
import os
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assay.embed.encoder import Encoder
from assay.embed.tasks import EmbeddingTask, Encoders, ItemRecord, MetricResult, TaskResult
from assay.errors import UserError, did_you_mean

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["PREFIX", "AssayMtebEncoder", "MtebTask", "mteb_task_name"]

logger = logging.getLogger(__name__)

#: ``--datasets`` names starting with this name an MTEB task.
PREFIX = "mteb:"
_OPTIONS = frozenset({"local_path", "split", "subsets"})


def mteb_task_name(dataset: str) -> str | None:
    """The MTEB task a ``--datasets`` name stands for, or None when it is not ``mteb:<Task>``."""
    return dataset[len(PREFIX) :] if dataset.startswith(PREFIX) else None


def _folder_fingerprint(folder: Path) -> str:
    """A digest of every file's relative path, size and modification time under ``folder``."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and ".git" not in p.parts):
        stat = path.stat()
        digest.update(f"{path.relative_to(folder)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


@contextlib.contextmanager
def _datasets_loading(folder: Path | None) -> Iterator[None]:
    """While ``datasets`` loads a task: no progress bars of its own (the run has one), and for a
    local copy a cache keyed by its content (see the module docstring)."""
    import datasets.config

    import datasets

    cache_before = datasets.config.HF_DATASETS_CACHE
    bars_before = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    if folder is not None:
        root = Path(os.environ.get("ASSAY_CACHE_DIR") or Path.home() / ".cache" / "assay").expanduser()
        datasets.config.HF_DATASETS_CACHE = root / "mteb" / _folder_fingerprint(folder)
    try:
        yield
    finally:
        datasets.config.HF_DATASETS_CACHE = cache_before
        if bars_before:
            datasets.enable_progress_bars()


def _import_mteb() -> Any:
    try:
        import mteb
    except ImportError:
        raise UserError("MTEB tasks need the mteb package: pip install 'assay[mteb]'") from None
    return mteb


class AssayMtebEncoder:
    """An mteb encoder (``mteb.models.EncoderProtocol``) whose vectors come from Assay's encoders.

    Made by :func:`_encoder_class` as a subclass of mteb's ``AbsEncoder`` (for its cosine
    ``similarity`` functions), so that ``mteb`` is imported only when an MTEB task runs.
    """

    def __init__(self, name: str, encoders: Encoders, loop: asyncio.AbstractEventLoop) -> None:
        from mteb.models.model_meta import ModelMeta

        self.encoders = encoders
        self.loop = loop
        self.mteb_model_meta = ModelMeta.create_empty(overwrites={"name": name, "modalities": ["text"]})
        self.texts_encoded = 0

    def encode(self, inputs: Any, *, task_metadata: Any, hf_split: str, hf_subset: str, **kwargs: Any) -> Any:
        """Every text of ``inputs`` (mteb's batches; a document is already ``title + " " + text``),
        encoded in one call so the run's concurrency spans the whole set."""
        from mteb.types import PromptType

        texts: list[str] = []
        for batch in inputs:
            if "text" not in batch:
                raise UserError(
                    f"MTEB task {task_metadata.name} sends {sorted(batch)} to the model; "
                    "eval_type embedding encodes text only"
                )
            texts.extend(str(text or "") for text in batch["text"])
        encoder: Encoder = (
            self.encoders.passage if kwargs.get("prompt_type") == PromptType.document else self.encoders.query
        )
        vectors: NDArray[np.float32] = asyncio.run_coroutine_threadsafe(encoder.encode(texts), self.loop).result()
        self.texts_encoded += len(texts)
        return vectors


def _encoder_class() -> type[AssayMtebEncoder]:
    from mteb.models.abs_encoder import AbsEncoder

    class _Encoder(AssayMtebEncoder, AbsEncoder):
        pass

    return _Encoder


class MtebTask(EmbeddingTask):
    """One MTEB task, its data loaded when built (so a load failure comes before any request)."""

    name = "mteb"
    pretty_name = "MTEB"

    def __init__(self, dataset: str, args: Mapping[str, Any]) -> None:  # no folder: mteb loads the data
        self.dataset = self.name = dataset
        self.pretty_name = f"MTEB {mteb_task_name(dataset)}"
        task_name = mteb_task_name(dataset) or ""
        for key in args:
            if key not in _OPTIONS:
                raise UserError(
                    f"dataset_args.{dataset}: unknown option {key!r}{did_you_mean(key, _OPTIONS)}; "
                    f"known: {', '.join(sorted(_OPTIONS))}"
                )
        mteb = _import_mteb()
        try:
            self.task = mteb.get_task(task_name)
        except KeyError:
            known = [task.metadata.name for task in mteb.get_tasks()]
            raise UserError(f"unknown MTEB task {task_name!r}{did_you_mean(task_name, known)}") from None
        # A copy: the class's metadata is shared by every instance of the task in this process.
        metadata = self.task.metadata = self.task.metadata.model_copy(deep=True)
        self.main_score = str(metadata.main_score)
        self.split = str(args.get("split") or metadata.eval_splits[0])
        subsets = args.get("subsets")
        if subsets is not None:
            unknown = [s for s in subsets if s not in metadata.hf_subsets] if isinstance(subsets, list) else subsets
            if unknown:
                raise UserError(
                    f"dataset_args.{dataset}.subsets: {unknown!r} not among the task's subsets "
                    f"{', '.join(metadata.hf_subsets)}"
                )
            self.task.hf_subsets = list(subsets)
        self.hub_location = self.location = f"{metadata.dataset['path']}@{metadata.dataset.get('revision')}"
        self.local_copy: Path | None = None
        if args.get("local_path"):
            self.local_copy = Path(str(args["local_path"])).expanduser()
            if not (self.local_copy / "README.md").is_file() and not self.local_copy.is_dir():
                raise UserError(f"dataset_args.{dataset}.local_path: no folder {self.local_copy}")
            metadata.dataset["path"] = self.location = str(self.local_copy)
        self._load()

    def _load(self) -> None:
        try:
            with warnings.catch_warnings(), _datasets_loading(self.local_copy):
                # mteb also logs these (a task superseded by a newer version): once is enough.
                warnings.simplefilter("ignore", UserWarning)
                self.task.check_if_dataset_is_superseded()
                self.task.load_data()
        except (OSError, ValueError) as error:
            raise UserError(
                f"{self.dataset}: could not load its data from {self.location} ({type(error).__name__}: "
                f"{str(error).splitlines()[0] if str(error) else ''}); offline, point dataset_args."
                f"{self.dataset}.local_path at a copy of the dataset repository"
            ) from None
        # {subset: {split: data}}, or {split: data} for a one-subset task (mteb's own two shapes).
        data = self.task.dataset or {}
        by_subset = [data[subset] for subset in self.task.hf_subsets if subset in data]
        splits = {str(split) for subset in by_subset for split in subset} if by_subset else set(map(str, data))
        if self.split not in splits:
            hint = f"; is local_path a copy of {self.hub_location}?" if self.local_copy is not None else ""
            raise UserError(
                f"{self.dataset}: no split {self.split!r} in its data from {self.location}; it has "
                f"{', '.join(sorted(splits)) or 'none'} (dataset_args.{self.dataset}.split chooses one){hint}"
            )

    def describe(self) -> str:
        metadata = self.task.metadata
        subsets = self.task.hf_subsets
        return (
            f"MTEB {metadata.type} task, {len(subsets)} subset{'s' * (len(subsets) != 1)}, "
            f"split {self.split}, main score {self.main_score} (data from {self.location})"
        )

    async def run(self, encoders: Encoders) -> TaskResult:
        loop = asyncio.get_running_loop()
        model = _encoder_class()(self.dataset, encoders, loop)
        scores: Mapping[str, Mapping[str, Any]] = await asyncio.to_thread(
            self.task.evaluate, model, self.split, encode_kwargs={"batch_size": 32, "show_progress_bar": False}
        )
        return self._result(scores)

    def _result(self, scores: Mapping[str, Mapping[str, Any]]) -> TaskResult:
        """Every finite numeric score, averaged over subsets (MTEB's task score), main score first.

        A score MTEB leaves undefined (``nan``, e.g. a ``nauc_*`` of a set too small) is left out:
        a report never shows ``nan``.
        """
        numeric: dict[str, list[float]] = {}
        items = []
        for subset, values in scores.items():
            flat = {
                name: float(value)
                for name, value in values.items()
                if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
            }
            for name, value in flat.items():
                numeric.setdefault(name, []).append(value)
            items.append(
                ItemRecord(
                    sample_id=subset,
                    input=f"{self.task.metadata.name} ({subset} subset, {self.split} split)",
                    target=None,
                    output={"scores": flat},
                    value=flat,
                    extracted=None,
                    prediction=f"{self.main_score} = {flat['main_score']:.5f}" if "main_score" in flat else "",
                )
            )
        names = [name for name in numeric if name != "main_score"]
        names.sort(key=lambda name: name != self.main_score)
        if self.main_score not in numeric and "main_score" in numeric:
            names.insert(0, self.main_score)
            numeric[self.main_score] = numeric["main_score"]
        metrics = [MetricResult(name, float(np.mean(numeric[name])), None, "MTEB") for name in names]
        return TaskResult(
            split=self.split, location=self.location, headline=self.main_score, metrics=metrics, items=items
        )
