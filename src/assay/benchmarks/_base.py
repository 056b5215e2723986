"""``BenchmarkAdapter``: turns a dataset into prompted ``Sample``s and a reply into a ``Score``.

The base class owns everything benchmarks share, so a benchmark module only says how one record
becomes a sample and, through its family base (:mod:`._mcq`, :mod:`._qa`), how prompts are filled
and answers judged:

* **Loading** (:meth:`BenchmarkAdapter.load`): local files (``local_path`` / ``--dataset-dir``, in
  the upstream release layout or a hub-style one) or the hub; limit, seeded shuffles, few-shot
  examples, prompt formatting. Sample ids come from the data, never from list positions after a
  shuffle, so they are stable across runs and the journal can resume.
* **Scoring** (:meth:`BenchmarkAdapter.score`): errored calls are marked, ``<think>`` reasoning is
  removed, user filters run, then the family's :meth:`BenchmarkAdapter.score_answer` extracts and
  compares.
"""

from __future__ import annotations

import hashlib
import json
import random
import string
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

from assay.benchmarks._meta import BenchmarkMeta
from assay.datasets import SUPPORTED_SUFFIXES, hf_style_candidates, load_hub_split, read_split_files
from assay.errors import UserError
from assay.scoring.extract import choice_index, choice_label
from assay.scoring.filters import build_filters, run_filters, strip_reasoning
from assay.types import ChatMessage, GenerateConfig, ModelOutput, Sample, SampleStatus, Score

#: Seed used for shuffles when the run has none, so a shuffled run is still reproducible (EvalScope's
#: default ``seed`` is 42 too; its unseeded shuffles are not reproducible, ours always are).
DEFAULT_SEED = 42


class LocalFile(NamedTuple):
    """A local file that may hold a split; ``fieldnames`` names the columns of a header-less CSV."""

    path: Path
    fieldnames: Sequence[str] | None = None


@dataclass(frozen=True)
class SplitOrigin:
    """Where the records of one (subset, split) were read from, for the report."""

    subset: str
    split: str
    location: str
    """Local file path, or hub dataset id."""
    hub: str | None = None
    """``huggingface`` / ``modelscope``; None for local files."""
    revision: str | None = None
    resolved_revision: str | None = None


class BenchmarkAdapter(ABC):
    """Base of every benchmark adapter; see the module docstring for the pipeline.

    Subclasses set the class attributes below and implement :meth:`record_to_sample`,
    :meth:`format_prompt`, :meth:`sample_to_fewshot` and :meth:`score_answer` (the family bases
    implement all but the first).
    """

    #: Metric names this adapter computes; ``metric_list`` may only name these.
    supported_metrics: ClassVar[tuple[str, ...]] = ("acc",)
    #: Placeholders a ``prompt_template`` may use, and those it must use.
    template_fields: ClassVar[frozenset[str]] = frozenset({"question"})
    required_template_fields: ClassVar[frozenset[str]] = frozenset({"question"})
    #: Text placed before the examples when no ``few_shot_prompt_template`` is given: the few-shot
    #: template is then this header followed by ``prompt_template`` (so a user's own
    #: ``prompt_template`` is used with few-shot too).
    few_shot_header: ClassVar[str | None] = None
    #: Data comes only from the user's own files (general_qa, general_mcq), never from a hub.
    local_only: ClassVar[bool] = False
    #: Column naming a record's subset when one file holds every subset (a hub snapshot of MMLU-Pro
    #: or SuperGPQA): such a file is read once and each subset keeps its rows. None = one file per subset.
    subset_column: ClassVar[str | None] = None
    #: The only ``few_shot_num`` values the benchmark defines (its examples are a fixed set), and
    #: what those examples are, for the error message; None = any number of train-split records.
    allowed_few_shot_nums: ClassVar[tuple[int, ...] | None] = None
    few_shot_examples: ClassVar[str] = ""
    #: File of :data:`BUNDLED_DATA_DIR` holding the fixed few-shot text; None = built from records.
    fixed_fewshot_file: ClassVar[str | None] = None

    def __init__(self, meta: BenchmarkMeta, *, dataset_hub: str = "huggingface", seed: int | None = None) -> None:
        """Use :func:`assay.benchmarks.build_adapter`, which validates ``meta`` against the class."""
        self.meta = meta
        self.dataset_hub = dataset_hub
        self.seed = seed
        self._filters = build_filters(meta.filters)
        #: Where each loaded split came from; filled by :meth:`load`.
        self.data_sources: list[SplitOrigin] = []
        self._whole_files: dict[Path, list[dict[str, Any]]] = {}

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

    @abstractmethod
    async def score_answer(self, answer: str, sample: Sample) -> Score:
        """Extract the answer from filtered text and compare it with ``sample.target``."""

    def system_prompt_for(self, sample: Sample) -> str | None:
        """System message for a sample; added only when its input has none. Default: ``system_prompt``."""
        return self.meta.system_prompt

    def scoring_settings(self) -> dict[str, Any]:
        """Extraction settings beyond meta fields that change verdicts (part of the fingerprint)."""
        return {}

    def report_metrics(self) -> list[str]:
        """The per-sample value keys the report aggregates, headline first.

        The default is ``metric_list`` itself; a benchmark whose metric names are families of keys
        (general_qa's ``BLEU`` gives ``bleu-1`` .. ``bleu-4``) lists the keys instead.
        """
        return list(self.meta.metric_list)

    def local_candidates(self, root: Path, subset: str, split: str) -> list[LocalFile]:
        """Local files that may hold ``subset``/``split``, most specific first.

        The default covers hub-style folders and EvalScope's ``<subset>_<split>.<ext>``; benchmarks
        with an upstream release layout put theirs first. ``<subset>.<ext>`` (EvalScope's local
        format) counts only for the evaluated split, so evaluated items never become few-shot
        examples (EvalScope reads that file for both).
        """
        single = self.meta.available_subsets is not None and len(self.meta.available_subsets) == 1
        paths = hf_style_candidates(root, subset, split, allow_split_only=single or self.subset_column is not None)
        if split == self.meta.eval_split:
            paths.extend(root / f"{subset}{suffix}" for suffix in SUPPORTED_SUFFIXES)
        return [LocalFile(path) for path in paths]

    def read_local_file(self, found: LocalFile) -> list[dict[str, Any]]:
        """All records of one local file; override for an upstream format the shared readers do not know."""
        return read_split_files(found.path, fieldnames=found.fieldnames)

    def fewshot_text(self, subset: str) -> str | None:
        """The worked examples placed before each question of ``subset``; None = zero-shot.

        The default is the text of :attr:`fixed_fewshot_file` when set, else the first (or seeded
        random) ``few_shot_num`` records of ``train_split`` rendered with :meth:`sample_to_fewshot`.
        """
        if self.fixed_fewshot_file is not None:
            return bundled_text(self.fixed_fewshot_file) if self.meta.few_shot_num else None
        return self._fewshot_from_train_split(subset)

    def load_hub_records(self, subset: str, split: str) -> tuple[list[dict[str, Any]], SplitOrigin]:
        """Records of one split from the hub (override when the hub groups subsets differently)."""
        loaded = load_hub_split(
            self.meta.dataset_id, subset, split, hub=self.dataset_hub, revision=self.meta.dataset_revision
        )
        origin = SplitOrigin(subset, split, loaded.dataset_id, loaded.hub, loaded.revision, loaded.resolved_revision)
        return loaded.records, origin

    # ------------------------------------------------------------------ public API
    async def answer_by_loglikelihood(self, model: object, sample: Sample) -> ModelOutput | None:
        """Answer ``sample`` by scoring continuations with ``model.loglikelihood``; None = generate.

        The default always generates; multiple-choice adapters override it for
        ``extra_params.choice_scoring``.
        """
        return None

    def generate_config(self, base: GenerateConfig) -> GenerateConfig:
        """Sampling settings for this benchmark; the default leaves the user's unchanged."""
        return base

    def load(self, limit: int | float | None = None) -> dict[str, list[Sample]]:
        """Load every subset in ``meta.subset_list``: samples in dataset order, prompts filled in.

        Args:
            limit: None for all samples; an int for the first N of each subset; a float in (0, 1]
                for that fraction of each subset (rounded down, as EvalScope does). With
                ``shuffle`` the samples are shuffled (seeded) before the limit is taken.

        Raises:
            UserError: Missing files or columns, a bad limit, or few-shot without a train split.
        """
        self.data_sources = []
        return {subset: self._load_subset(subset, limit) for subset in self.meta.subset_list}

    def prompted_sample(self, record: Mapping[str, Any], *, subset: str, fewshot: str | None = None) -> Sample:
        """One record as the model receives it: the same steps :meth:`load` runs on every record.

        ``record_to_sample``, the option shuffle, the prompt (with ``fewshot`` examples, if any) and
        the system message; ``assay benchmark-info`` renders its example record with it.
        """
        origin = SplitOrigin(subset, self.meta.eval_split, f"the example record of {self.meta.name}")
        return self._with_prompt(self._to_sample(record, subset, 0, origin), fewshot)

    async def score(self, sample: Sample, output: ModelOutput) -> Score:
        """Judge one reply: errors are marked, reasoning dropped, filters run, then extract and compare."""
        if output.error is not None:
            return Score(status=SampleStatus.ERRORED, reason=output.error)
        answer, inside_think = strip_reasoning(output.text)
        answer = run_filters(answer, self._filters)
        score = await self.score_answer(answer, sample)
        if inside_think or output.finish_reason == "length":
            note = "generation stopped inside a <think> block" if inside_think else "hit max_tokens"
            score = score.model_copy(update={"truncated": True, "explanation": score.explanation or note})
        return score

    def scoring_fingerprint(self) -> str:
        """Hash of everything that decides a verdict; cached reviews with another hash are re-scored."""
        payload = {
            "adapter": f"{type(self).__module__}.{type(self).__qualname__}",
            "version": self.meta.version,
            "filters": self.meta.filters,
            "metric_list": self.meta.metric_list,
            "metric_args": self.meta.metric_args,
            "settings": self.scoring_settings(),
        }
        encoded = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()
        return hashlib.sha256(encoded).hexdigest()[:20]

    # ------------------------------------------------------------------ shared helpers
    @property
    def shuffle_seed(self) -> int:
        """Seed for sample and few-shot shuffles: the run seed, else :data:`DEFAULT_SEED`."""
        return DEFAULT_SEED if self.seed is None else self.seed

    def zero_score(self, extracted: str | None = None, explanation: str | None = None) -> Score:
        """A scored 0 on every metric (wrong or unextractable answer)."""
        return Score(value=dict.fromkeys(self.meta.metric_list, 0.0), extracted=extracted, explanation=explanation)

    # ------------------------------------------------------------------ loading internals
    def _load_subset(self, subset: str, limit: int | float | None) -> list[Sample]:
        records, origin = self._read_split(subset, self.meta.eval_split, purpose="eval")
        if not records:
            raise UserError(f"{origin.location} has no records for subset {subset!r} of {self.meta.name}")
        order = list(range(len(records)))
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
        records, origin = self._read_split(subset, split, purpose="fewshot")
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
            messages = [ChatMessage(role="user", content=self.format_prompt(sample, fewshot))]
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

    def _read_split(self, subset: str, split: str, *, purpose: str) -> tuple[list[dict[str, Any]], SplitOrigin]:
        root = self._local_root()
        if root is None:
            try:
                records, origin = self.load_hub_records(subset, split)
            except UserError as exc:
                if purpose != "fewshot":
                    raise
                raise UserError(
                    f"{exc}. The {self.meta.few_shot_num}-shot prompt of {self.meta.name} needs that split: "
                    f"set few_shot_num to 0 in dataset_args to run without examples"
                ) from exc
        else:
            found = self._find_local(root, subset, split)
            if found is None:
                raise self._missing_local_error(root, subset, split, purpose)
            records = self._read_local(found, subset)
            origin = SplitOrigin(subset, split, str(found.path))
        self.data_sources.append(origin)
        return records, origin

    def _read_local(self, found: LocalFile, subset: str) -> list[dict[str, Any]]:
        if self.subset_column is None:
            return self.read_local_file(found)
        if found.path not in self._whole_files:
            self._whole_files[found.path] = self.read_local_file(found)
        records = self._whole_files[found.path]
        if records and self.subset_column in records[0]:
            return [r for r in records if r.get(self.subset_column) == subset]
        return records

    def _local_root(self) -> Path | None:
        if self.meta.local_path is None:
            if self.local_only:
                raise UserError(
                    f"{self.meta.name} evaluates your own files: set local_path in dataset_args, e.g. "
                    f'--dataset-args \'{{"{self.meta.name}": {{"local_path": "my_data"}}}}\' '
                    f"({self.meta.local_layout})"
                )
            return None
        root = Path(self.meta.local_path).expanduser()
        if not root.exists():
            raise UserError(
                f"local_path {str(root)!r} for {self.meta.name} does not exist; expected {self.meta.local_layout}"
            )
        return root

    def _find_local(self, root: Path, subset: str, split: str) -> LocalFile | None:
        if root.is_file():
            # A single file stands for the evaluated split of a one-subset run (EvalScope allows it).
            usable = split == self.meta.eval_split and len(self.meta.subset_list) == 1
            return LocalFile(root) if usable else None
        return next((c for c in self.local_candidates(root, subset, split) if c.path.is_file()), None)

    def _missing_local_error(self, root: Path, subset: str, split: str, purpose: str) -> UserError:
        if root.is_file():
            return UserError(
                f"{root} is a single file, but {self.meta.name} needs the {split!r} split of subset "
                f"{subset!r} too; point local_path at a folder ({self.meta.local_layout})"
                + (" or set few_shot_num to 0 in dataset_args" if purpose == "fewshot" else "")
            )
        looked = ", ".join(str(c.path.relative_to(root)) for c in self.local_candidates(root, subset, split)[:4])
        message = (
            f"no {split!r} split for subset {subset!r} of {self.meta.name} under {root} "
            f"(looked for {looked}, ...); expected {self.meta.local_layout}"
        )
        if purpose == "fewshot":
            message += (
                f". The {self.meta.few_shot_num}-shot prompt takes its examples from the {split!r} split: "
                f"add that file, or set few_shot_num to 0 in dataset_args "
                f'(--dataset-args \'{{"{self.meta.name}": {{"few_shot_num": 0}}}}\')'
            )
        return UserError(message)


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
