"""``BenchmarkAdapter``: turns a benchmark's records into prompted ``Sample``s.

An adapter is the *prompting* part of a benchmark. Everything else is a component it names:

* **Data**: the adapter class describes its files with ``data = DataSpec(...)``; a
  :class:`~assay.datasets.source.DataSource` reads local copies (upstream or hub-style layout) or the
  hub, and groups subsets that are values of a column.
* **Scoring**: the meta maps metric names to registered scorers (``scorers={"acc": "math_equiv"}``;
  a family base gives defaults in :attr:`BenchmarkAdapter.default_scorers`) and the adapter may give
  them options (:meth:`BenchmarkAdapter.scorer_options`); the engine runs them in a ScoringContext.
* **Requests**: the adapter says which kind of request answers a sample
  (:meth:`BenchmarkAdapter.request_kind`); the engine sends it. An adapter never calls a model.

What the adapter does itself (:meth:`BenchmarkAdapter.load`): limit, seeded shuffles, few-shot
examples, option shuffles, prompt formatting and the system message. Sample ids come from the data,
never from list positions after a shuffle, so they are stable across runs and the journal can resume.
"""

from __future__ import annotations

import hashlib
import random
import string
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from assay.benchmarks._meta import BenchmarkMeta
from assay.datasets.source import DataSource, DataSpec, LocalFile, SplitOrigin, read_local_file
from assay.errors import UserError
from assay.report.build import Estimate
from assay.scoring.extract import choice_index, choice_label
from assay.scoring.filters import TextFilter, build_filters
from assay.scoring.scorer import Scorer, build_scorers
from assay.types import ChatMessage, ContentPart, GenerateConfig, RequestKind, Sample

__all__ = [
    "DEFAULT_SEED",
    "BenchmarkAdapter",
    "DataSpec",
    "LocalFile",
    "SplitOrigin",
    "bundled_text",
    "format_template",
    "read_local_file",
    "template_placeholders",
]

#: Seed used for shuffles when the run has none, so a shuffled run is still reproducible (EvalScope's
#: default ``seed`` is 42 too; its unseeded shuffles are not reproducible, ours always are).
DEFAULT_SEED = 42


class BenchmarkAdapter(ABC):
    """Base of every benchmark adapter; see the module docstring for what it does and names.

    Subclasses set the class attributes below and implement :meth:`record_to_sample` and
    :meth:`format_prompt` (the family bases implement the latter, and :meth:`sample_to_fewshot`).
    """

    #: Where the data is and how it is laid out (read by :class:`~assay.datasets.source.DataSource`).
    data: ClassVar[DataSpec] = DataSpec()
    #: Metric name -> scorer name, used when the meta names no scorers of its own.
    default_scorers: ClassVar[dict[str, str]] = {}
    #: Placeholders a ``prompt_template`` may use, and those it must use.
    template_fields: ClassVar[frozenset[str]] = frozenset({"question"})
    required_template_fields: ClassVar[frozenset[str]] = frozenset({"question"})
    #: Text placed before the examples when no ``few_shot_prompt_template`` is given: the few-shot
    #: template is then this header followed by ``prompt_template`` (so a user's own
    #: ``prompt_template`` is used with few-shot too).
    few_shot_header: ClassVar[str | None] = None
    #: The only ``few_shot_num`` values the benchmark defines (its examples are a fixed set), and
    #: what those examples are, for the error message; None = any number of train-split records.
    allowed_few_shot_nums: ClassVar[tuple[int, ...] | None] = None
    few_shot_examples: ClassVar[str] = ""
    #: File of :data:`BUNDLED_DATA_DIR` holding the fixed few-shot text; None = built from records.
    fixed_fewshot_file: ClassVar[str | None] = None
    #: How ``judge_strategy: llm_recall`` asks the judge about a reply the rule scored wrong:
    #: ``prompt_template`` (``{question}``, ``{gold}``, ``{pred}``) and ``parse`` (``yes_no`` or
    #: ``contract``); None = the judge contract's generic grading prompt.
    recall_judge: ClassVar[dict[str, Any] | None] = None

    def __init__(self, meta: BenchmarkMeta, *, dataset_hub: str = "huggingface", seed: int | None = None) -> None:
        """Use :func:`assay.benchmarks.build_adapter`, which validates ``meta`` against the class."""
        self.meta = meta
        self.dataset_hub = dataset_hub
        self.seed = seed
        #: The answer filters of ``meta.filters``, run on every reply before its scorers.
        self.filters: list[TextFilter] = build_filters(meta.filters)
        self.source = DataSource(meta, self.data, dataset_hub)

    # ------------------------------------------------------------------ hooks for subclasses
    @classmethod
    def finalize_meta(cls, meta: BenchmarkMeta, given: frozenset[str]) -> BenchmarkMeta:
        """Adjust the effective meta after the user's ``dataset_args`` (names in ``given``) are applied.

        The default refuses a ``few_shot_num`` outside :attr:`allowed_few_shot_nums` and derives the
        few-shot template from :attr:`few_shot_header` unless the user gave one. Overrides must call
        ``super()``.
        """
        allowed = cls.allowed_few_shot_nums
        if allowed is not None and meta.few_shot_num not in allowed:
            raise UserError(
                f"{meta.name} supports few_shot_num {' or '.join(map(str, allowed))} ({cls.few_shot_examples}), "
                f"got {meta.few_shot_num}"
            )
        if cls.few_shot_header is not None and "few_shot_prompt_template" not in given:
            meta = meta.with_overrides({"few_shot_prompt_template": cls.few_shot_header + meta.prompt_template})
        return meta

    @abstractmethod
    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        """Map one dataset record to a sample whose ``input`` is the bare question (or messages).

        ``index`` is the record's position in its file; use it for the id when the record has none
        (``f"{subset}-{index}"``). Reading a missing column (``record["x"]``) is reported to the user
        as a missing column of that file.
        """

    @abstractmethod
    def format_prompt(self, sample: Sample, fewshot: str | None) -> str:
        """Fill the prompt template for a sample whose ``input`` is still the bare question."""

    def sample_to_fewshot(self, sample: Sample) -> str:
        """Render one few-shot example (question and worked answer)."""
        raise UserError(f"{self.meta.name} has no few-shot format; set few_shot_num to 0 in dataset_args")

    def keep_record(self, record: Mapping[str, Any]) -> bool:
        """Whether a record of the evaluated split is evaluated at all; default: every record.

        For a selection the user asks for in ``extra_params`` (LiveCodeBench's contest-date window).
        It runs before ``shuffle`` and ``limit``, so ``limit`` counts selected records, and a record
        keeps its position in the file as the ``index`` given to :meth:`record_to_sample`.
        """
        return True

    def user_content(self, sample: Sample, prompt: str) -> str | list[ContentPart]:
        """The user message's content for a filled-in ``prompt``: the text alone by default.

        Multimodal benchmarks return parts here, e.g. ``[TextPart(text=prompt), ImagePart(...)]``
        (images are journaled as references and hashed into the fingerprint).
        """
        return prompt

    def system_prompt_for(self, sample: Sample) -> str | None:
        """System message for a sample; added only when its input has none. Default: ``system_prompt``."""
        return self.meta.system_prompt

    def scorer_options(self) -> dict[str, dict[str, Any]]:
        """Options for the scorers this benchmark uses, by scorer name (part of the fingerprint)."""
        return {}

    def request_kind(self) -> RequestKind:
        """What the engine asks the model for each sample; default: generate a reply."""
        return RequestKind.GENERATE

    def fewshot_text(self, subset: str) -> str | None:
        """The worked examples placed before each question of ``subset``; None = zero-shot.

        The default is the text of :attr:`fixed_fewshot_file` when set, else the first (or seeded
        random) ``few_shot_num`` records of ``train_split`` rendered with :meth:`sample_to_fewshot`.
        """
        if self.fixed_fewshot_file is not None:
            return bundled_text(self.fixed_fewshot_file) if self.meta.few_shot_num else None
        return self._fewshot_from_train_split(subset)

    def corpus_metrics(self, reviews: Sequence[Mapping[str, Any]]) -> Mapping[str, Estimate]:
        """Metrics computed from a group of reviews at once rather than averaged over samples.

        Arena-Hard's Bradley-Terry win rate with its bootstrap interval, AlpacaEval's
        length-controlled win rate and SimpleQA's F-score are such metrics. The report calls this for
        each subset, each category and the whole benchmark; name one in ``headline_metric`` to make it
        the benchmark's score. Default: none.
        """
        return {}

    def generate_config(self, base: GenerateConfig) -> GenerateConfig:
        """Sampling settings for this benchmark; the default leaves the user's unchanged."""
        return base

    # ------------------------------------------------------------------ public API
    def build_scorers(self) -> list[Scorer]:
        """The scorers of ``metric_list``, built with :meth:`scorer_options`.

        Raises:
            UserError: A metric has no scorer, or a scorer refuses its options.
        """
        return build_scorers(self.meta.scorers, self.meta.metric_list, self.scorer_options(), benchmark=self.meta.name)

    @property
    def data_sources(self) -> list[SplitOrigin]:
        """Where each loaded split came from (filled by :meth:`load`)."""
        return self.source.origins

    def load(self, limit: int | float | None = None) -> dict[str, list[Sample]]:
        """Load every subset in ``meta.subset_list``: samples in dataset order, prompts filled in.

        Args:
            limit: None for all samples; an int for the first N of each subset; a float in (0, 1]
                for that fraction of each subset (rounded down, as EvalScope does). With
                ``shuffle`` the samples are shuffled (seeded) before the limit is taken.

        Raises:
            UserError: Missing files or columns, a bad limit, or few-shot without a train split.
        """
        self.source.origins.clear()
        return {subset: self._load_subset(subset, limit) for subset in self.meta.subset_list}

    def prompted_sample(self, record: Mapping[str, Any], *, subset: str, fewshot: str | None = None) -> Sample:
        """One record as the model receives it: the same steps :meth:`load` runs on every record.

        ``record_to_sample``, the option shuffle, the prompt (with ``fewshot`` examples, if any) and
        the system message; ``assay benchmark-info`` renders its example record with it.
        """
        origin = SplitOrigin(subset, self.meta.eval_split, f"the example record of {self.meta.name}")
        return self._with_prompt(self._to_sample(record, subset, 0, origin), fewshot)

    # ------------------------------------------------------------------ shared helpers
    @property
    def shuffle_seed(self) -> int:
        """Seed for sample and few-shot shuffles: the run seed, else :data:`DEFAULT_SEED`."""
        return DEFAULT_SEED if self.seed is None else self.seed

    # ------------------------------------------------------------------ loading internals
    def _load_subset(self, subset: str, limit: int | float | None) -> list[Sample]:
        records, origin = self.source.read(subset, self.meta.eval_split, purpose="eval")
        if not records:
            raise UserError(f"{origin.location} has no records for subset {subset!r} of {self.meta.name}")
        order = [i for i, record in enumerate(records) if self.keep_record(record)]
        if not order:
            raise UserError(
                f"none of the {len(records)} records of subset {subset!r} in {origin.location} is selected by "
                f"the extra_params of {self.meta.name} ({self.meta.extra_params})"
            )
        if self.meta.shuffle:
            random.Random(self.shuffle_seed).shuffle(order)
        order = order[: _resolve_limit(limit, len(order))]
        samples = [self._to_sample(records[i], subset, i, origin) for i in order]
        _check_unique_ids(samples, origin)
        fewshot = self.fewshot_text(subset)
        return [self._with_prompt(sample, fewshot) for sample in samples]

    def _fewshot_from_train_split(self, subset: str) -> str | None:
        count = self.meta.few_shot_num
        if count == 0:
            return None
        split = self.meta.train_split
        if split is None:
            raise UserError(
                f"{self.meta.name} has no train split to take {count} few-shot examples from; "
                f"set few_shot_num to 0 in dataset_args (or set train_split)"
            )
        records, origin = self.source.read(subset, split, purpose="fewshot")
        order = list(range(len(records)))
        if self.meta.few_shot_random:
            random.Random(self.shuffle_seed).shuffle(order)
        if len(order) < count:
            raise UserError(
                f"{origin.location} has only {len(order)} examples for {count}-shot prompts of "
                f"{self.meta.name}/{subset}; lower few_shot_num in dataset_args"
            )
        examples = [self._to_sample(records[i], subset, i, origin) for i in order[:count]]
        return "\n\n".join(self.sample_to_fewshot(example) for example in examples)

    def _with_prompt(self, sample: Sample, fewshot: str | None) -> Sample:
        if isinstance(sample.input, str):
            content = self.user_content(sample, self.format_prompt(sample, fewshot))
            messages = [ChatMessage(role="user", content=content)]
        else:
            messages = list(sample.input)
        system = self.system_prompt_for(sample)
        if system is not None and not any(m.role == "system" for m in messages):
            messages.insert(0, ChatMessage(role="system", content=system))
        return sample.model_copy(update={"input": messages})

    def _to_sample(self, record: Mapping[str, Any], subset: str, index: int, origin: SplitOrigin) -> Sample:
        try:
            sample = self.record_to_sample(record, subset=subset, index=index)
        except KeyError as exc:
            column = exc.args[0] if exc.args else "?"
            if column in record:
                raise
            raise UserError(
                f"{origin.location}: record {index} has no column {column!r} needed by {self.meta.name} "
                f"(columns found: {', '.join(map(str, record)) or 'none'})"
            ) from exc
        if sample.choices and self.meta.shuffle_choices is not False:
            sample = self._shuffle_choices(sample)
        return sample

    def _shuffle_choices(self, sample: Sample) -> Sample:
        """Permute options as EvalScope does, so the same seed gives the same order in both tools.

        The permutation is derived from the seed and the question's content (not its position), so
        filtering or limiting never changes another sample's option order.
        """
        assert sample.choices is not None and isinstance(sample.input, str)
        choice_seed = self.meta.shuffle_choices
        seed = self.shuffle_seed if choice_seed is True else int(choice_seed)
        material = "\x00".join([str(seed), sample.input, *sorted(sample.choices)])
        rng = random.Random(int.from_bytes(hashlib.sha256(material.encode("utf-8")).digest()[:8], "big"))
        positions = list(range(len(sample.choices)))
        rng.shuffle(positions)
        new_label = {old: choice_label(new) for new, old in enumerate(positions)}

        def remap(label: str) -> str:
            return new_label[choice_index(label)]

        target = [remap(t) for t in sample.target] if isinstance(sample.target, list) else remap(sample.target)
        return sample.model_copy(update={"choices": [sample.choices[i] for i in positions], "target": target})


#: Prompt texts shipped with Assay (fixed few-shot examples), listed with their origin in its README.
BUNDLED_DATA_DIR = Path(__file__).with_name("data")


def bundled_text(file_name: str) -> str:
    """A text file of :data:`BUNDLED_DATA_DIR`, exactly as shipped (no newline translation)."""
    return (BUNDLED_DATA_DIR / file_name).read_bytes().decode("utf-8")


def format_template(template: str, meta_field: str, benchmark: str, **values: str) -> str:
    """``template.format(**values)`` with a user-readable error for a bad user template."""
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError) as exc:
        raise UserError(f"{meta_field} of {benchmark} cannot be filled: {exc!r}; template: {template!r}") from exc


def template_placeholders(template: str) -> set[str]:
    """Names of the ``{placeholders}`` in a format string (``{{`` escapes excluded)."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise UserError(f"invalid template {template!r}: {exc}") from exc


def _resolve_limit(limit: int | float | None, size: int) -> int:
    if limit is None:
        return size
    if isinstance(limit, bool) or not isinstance(limit, int | float):
        raise UserError(f"limit must be a count or a fraction, got {limit!r}")
    if isinstance(limit, int):
        if limit < 1:
            raise UserError(f"limit must be at least 1 (got {limit}); leave it unset to evaluate everything")
        return min(limit, size)
    if not 0.0 < limit <= 1.0:
        raise UserError(f"a fractional limit must be in (0, 1], got {limit}; use an integer for a count")
    return int(size * limit)


def _check_unique_ids(samples: list[Sample], origin: SplitOrigin) -> None:
    seen: set[str] = set()
    for sample in samples:
        if sample.id in seen:
            raise UserError(
                f"{origin.location}: sample id {sample.id!r} appears twice in subset {origin.subset!r}; "
                f"ids must be unique because results are keyed by them"
            )
        seen.add(sample.id)
