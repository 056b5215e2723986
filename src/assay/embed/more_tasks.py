"""Three more ``eval_type: embedding`` tasks on local JSONL files, scored with MTEB's protocols.

Every text is encoded with the query prefix (e5's rule for symmetric tasks, as for STS), and the
vectors go to the metric modules unchanged:

- ``custom_pair_classification``: ``<local_path>/<split>.jsonl`` of ``sentence1``, ``sentence2``,
  ``label`` (0 or 1); :func:`~assay.embed.pair_classification.pair_classification_scores` of the
  pair cosines. The headline is ``cosine_ap``, the average precision MTEB's ``max_ap`` main score
  takes for the cosine scoring function.
- ``custom_classification``: ``<local_path>/train.jsonl`` and ``<local_path>/<split>.jsonl`` of
  ``text``, ``label``; :func:`~assay.embed.classification.classification_scores` with MTEB's
  defaults (options ``n_experiments``, ``samples_per_label``, ``seed``). The headline is ``accuracy``.
- ``custom_clustering``: ``<local_path>/<split>.jsonl`` of ``text``, ``label``;
  :func:`~assay.embed.clustering.clustering_scores` (option ``seed``) on every document: MTEB's
  ``max_fraction_of_documents_to_embed=None`` setting, since its default keeps 4 %, which leaves
  nothing of a small file. The headline is ``v_measure``.

The tasks register themselves in :data:`assay.embed.tasks.EMBEDDING_TASKS` when this module is
imported, which :mod:`assay.embed.tasks` does; either module may be imported first.

Example:
    >>> from assay.embed.tasks import EMBEDDING_TASKS
    >>> [task.name for task in MORE_EMBEDDING_TASKS if task.name in EMBEDDING_TASKS]
    ['custom_pair_classification', 'custom_classification', 'custom_clustering']
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assay.embed.classification import classification_scores
from assay.embed.clustering import clustering_scores
from assay.embed.pair_classification import pair_classification_scores
from assay.embed.search import cosine_normalize
from assay.embed.tasks import EMBEDDING_TASKS, EmbeddingTask, Encoders, ItemRecord, MetricResult, TaskResult
from assay.errors import UserError

__all__ = ["MORE_EMBEDDING_TASKS", "CustomClassification", "CustomClustering", "CustomPairClassification"]

#: MTEB's task seed (``AbsTask.seed``).
DEFAULT_SEED = 42
#: ``n_experiments`` and ``samples_per_label`` of MTEB's ``AbsTaskClassification``.
DEFAULT_EXPERIMENTS = 10
DEFAULT_SAMPLES_PER_LABEL = 8

_CORPUS_METHOD = "computed over all items at once (no per-item standard error)"

Label = str | int
"""A class or cluster label as the JSONL files give it: a string or an integer."""


def _records(path: Path, layout: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(where, object)`` for each non-blank line of a JSONL file, ``where`` being ``path:line``.

    Raises:
        UserError: the file is missing, or a line is not a JSON object.
    """
    if not path.is_file():
        raise UserError(f"{path}: file not found; write {layout}, one object a line")
    with path.open(encoding="utf-8") as lines:
        for line_number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            where = f"{path}:{line_number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise UserError(f"{where}: not valid JSON ({error.msg})") from None
            if not isinstance(record, dict):
                raise UserError(f"{where}: expected a JSON object, got {type(record).__name__}")
            yield where, record


@dataclass(frozen=True)
class _LabelledText:
    text: str
    label: Label


def _read_labelled_texts(path: Path) -> list[_LabelledText]:
    """``{"text", "label"}`` lines; the labels all strings or all integers (a classifier mixes neither).

    Raises:
        UserError: a missing file, a malformed line, a label type other than the first line's, or no line.
    """
    rows: list[_LabelledText] = []
    for where, record in _records(path, '{"text": str, "label": str or int}'):
        text, label = record.get("text"), record.get("label")
        if not isinstance(text, str):
            raise UserError(f"{where}: 'text' must be a string, got {text!r}")
        if not isinstance(label, str) and type(label) is not int:
            raise UserError(f"{where}: 'label' must be a string or an integer, got {label!r}")
        if rows and type(label) is not type(rows[0].label):
            first_type = type(rows[0].label).__name__
            raise UserError(
                f"{where}: label {label!r} ({type(label).__name__}) is not of the first label's type, {first_type}"
            )
        rows.append(_LabelledText(text, label))
    if not rows:
        raise UserError(f"{path}: no lines; nothing to score")
    return rows


def _two_labels(path: Path, labels: list[Label], purpose: str) -> None:
    if len(set(labels)) < 2:
        raise UserError(f"{path}: only the label {labels[0]!r}; {purpose} needs at least 2 different labels")


def _int_option(name: str, args: Mapping[str, Any], key: str, default: int, minimum: int = 1) -> int:
    value = args.get(key, default)
    if type(value) is not int or value < minimum:
        raise UserError(f"dataset_args.{name}.{key} must be an integer >= {minimum}, got {value!r}")
    return value


def _label_items(rows: list[_LabelledText]) -> list[ItemRecord]:
    """One record per text with its gold label: the metrics are over the whole set, not per text."""
    return [ItemRecord(str(index), row.text, row.label, {}, {}, None, "") for index, row in enumerate(rows)]


@dataclass(frozen=True)
class _LabelledPair:
    sentence1: str
    sentence2: str
    label: int


class CustomPairClassification(EmbeddingTask):
    """Pair classification (duplicate or not) from a JSONL file of labelled sentence pairs."""

    name = "custom_pair_classification"
    pretty_name = "Custom pair classification (labelled sentence pairs)"

    def __init__(self, args: Mapping[str, Any], dataset_dir: str | None) -> None:
        super().__init__(args, dataset_dir)
        self.path = self.folder / f"{self.split}.jsonl"
        self.pairs: list[_LabelledPair] = []
        for where, record in _records(self.path, '{"sentence1": str, "sentence2": str, "label": 0 or 1}'):
            first, second, label = record.get("sentence1"), record.get("sentence2"), record.get("label")
            if not isinstance(first, str) or not isinstance(second, str):
                raise UserError(f"{where}: 'sentence1' and 'sentence2' must be strings")
            if type(label) is not int or label not in (0, 1):
                raise UserError(f"{where}: 'label' must be 0 or 1, got {label!r}")
            self.pairs.append(_LabelledPair(first, second, label))
        if {pair.label for pair in self.pairs} != {0, 1}:
            raise UserError(f"{self.path}: {len(self.pairs)} pairs; average precision needs pairs labelled 0 and 1")

    def describe(self) -> str:
        positives = sum(pair.label for pair in self.pairs)
        return f"{len(self.pairs)} sentence pairs, {positives} labelled 1 ({self.path})"

    async def run(self, encoders: Encoders) -> TaskResult:
        n = len(self.pairs)
        vectors = await encoders.query.encode([p.sentence1 for p in self.pairs] + [p.sentence2 for p in self.pairs])
        first, second = vectors[:n], vectors[n:]
        scores = pair_classification_scores(first, second, [pair.label for pair in self.pairs])
        # The module's own cosines (float32 vectors normalized, then widened), so a record matches its threshold.
        cosines = np.einsum("ij,ij->i", cosine_normalize(first), cosine_normalize(second)).astype(np.float64)
        metrics = [
            MetricResult("cosine_ap", scores.average_precision, None, f"average precision {_CORPUS_METHOD}"),
            MetricResult("cosine_accuracy", scores.accuracy, None, f"best accuracy over thresholds {_CORPUS_METHOD}"),
            MetricResult("cosine_f1", scores.f1, None, f"best F1 over thresholds {_CORPUS_METHOD}"),
            MetricResult("cosine_precision", scores.precision, None, "precision at the best-F1 threshold"),
            MetricResult("cosine_recall", scores.recall, None, "recall at the best-F1 threshold"),
            MetricResult("cosine_accuracy_threshold", scores.accuracy_threshold, None, "cosine of the best accuracy"),
            MetricResult("cosine_f1_threshold", scores.f1_threshold, None, "cosine of the best F1"),
        ]
        items = [
            ItemRecord(
                sample_id=str(index),
                input={"sentence1": pair.sentence1, "sentence2": pair.sentence2},
                target=pair.label,
                output={"cosine": float(cosine)},
                value={"cosine": float(cosine)},
                extracted=float(cosine),
                prediction=f"{float(cosine):.6f}",
            )
            for index, (pair, cosine) in enumerate(zip(self.pairs, cosines, strict=True))
        ]
        return TaskResult(self.split, str(self.path), "cosine_ap", metrics, items)


class CustomClassification(EmbeddingTask):
    """Logistic regression on a few train embeddings per label, scored on the split, as MTEB does."""

    name = "custom_classification"
    pretty_name = "Custom classification (labelled texts)"
    options = frozenset({"local_path", "split", "n_experiments", "samples_per_label", "seed"})

    def __init__(self, args: Mapping[str, Any], dataset_dir: str | None) -> None:
        super().__init__(args, dataset_dir)
        self.n_experiments = _int_option(self.name, args, "n_experiments", DEFAULT_EXPERIMENTS)
        self.samples_per_label = _int_option(self.name, args, "samples_per_label", DEFAULT_SAMPLES_PER_LABEL)
        self.seed = _int_option(self.name, args, "seed", DEFAULT_SEED, minimum=0)
        self.train_path = self.folder / "train.jsonl"
        self.path = self.folder / f"{self.split}.jsonl"
        if self.path == self.train_path:
            raise UserError(
                f"dataset_args.{self.name}.split is 'train': the classifier would be scored on its train set"
            )
        self.train = _read_labelled_texts(self.train_path)
        self.test = _read_labelled_texts(self.path)
        _two_labels(self.train_path, [row.label for row in self.train], "fitting a classifier")
        if type(self.test[0].label) is not type(self.train[0].label):
            test_type, train_type = type(self.test[0].label).__name__, type(self.train[0].label).__name__
            raise UserError(f"{self.path}: the labels are {test_type}s, train.jsonl's are {train_type}s")

    def describe(self) -> str:
        labels = len({row.label for row in self.train})
        return (
            f"{len(self.train)} train texts ({labels} labels), {len(self.test)} {self.split} texts; "
            f"{self.n_experiments} experiments of {self.samples_per_label} texts per label ({self.folder})"
        )

    async def run(self, encoders: Encoders) -> TaskResult:
        vectors = await encoders.query.encode([row.text for row in self.train] + [row.text for row in self.test])
        scores = classification_scores(
            vectors[: len(self.train)],
            [row.label for row in self.train],
            vectors[len(self.train) :],
            [row.label for row in self.test],
            n_experiments=self.n_experiments,
            samples_per_label=self.samples_per_label,
            seed=self.seed,
        )
        method = f"mean over {self.n_experiments} experiments, each over the whole split"
        metrics = [MetricResult(name, score, None, method) for name, score in scores.items()]
        return TaskResult(self.split, str(self.path), "accuracy", metrics, _label_items(self.test))


class CustomClustering(EmbeddingTask):
    """Mini-batch k-means V-measure of labelled texts, MTEB's bootstrapped protocol."""

    name = "custom_clustering"
    pretty_name = "Custom clustering (labelled texts)"
    options = frozenset({"local_path", "split", "seed"})

    def __init__(self, args: Mapping[str, Any], dataset_dir: str | None) -> None:
        super().__init__(args, dataset_dir)
        self.seed = _int_option(self.name, args, "seed", DEFAULT_SEED, minimum=0)
        self.path = self.folder / f"{self.split}.jsonl"
        self.rows = _read_labelled_texts(self.path)
        _two_labels(self.path, [row.label for row in self.rows], "clustering")

    def describe(self) -> str:
        labels = len({row.label for row in self.rows})
        return f"{len(self.rows)} texts in {labels} labels ({self.path})"

    async def run(self, encoders: Encoders) -> TaskResult:
        vectors = await encoders.query.encode([row.text for row in self.rows])
        scores = clustering_scores(vectors, [row.label for row in self.rows], seed=self.seed)
        method = "mean over 10 k-means fits, each on a bootstrap sample of the whole split"
        metrics = [MetricResult(name, score, None, method) for name, score in scores.items()]
        return TaskResult(self.split, str(self.path), "v_measure", metrics, _label_items(self.rows))


#: The tasks of this module, in the order they are listed.
MORE_EMBEDDING_TASKS: tuple[type[EmbeddingTask], ...] = (
    CustomPairClassification,
    CustomClassification,
    CustomClustering,
)
EMBEDDING_TASKS.update({task.name: task for task in MORE_EMBEDDING_TASKS})
