"""AlpacaEval: the model's answer to each instruction against a reference answer, judged pairwise.

* **Prompt**: the instruction as the only user message (``{question}``), as AlpacaEval asks models.
* **Data**: ``tatsu-lab/alpaca_eval`` (split ``eval``), 805 instructions, one subset ``default``.
  From the hub it is the configuration ``alpaca_eval_gpt4_baseline``, whose reference answers are
  AlpacaEval 2.0's (gpt4_turbo), EvalScope's default too. Locally it is the first of the hub's
  files ``alpaca_eval_gpt4_baseline.json`` and ``alpaca_eval.json`` (AlpacaEval 1.0's reference,
  text_davinci_003), or a JSONL copy, found under ``local_path``. The reference answer is the
  record's ``output``; its author, the record's ``generator``, is kept in every review, and a run
  whose references are not gpt4_turbo's says so when loading. (EvalScope names the subset
  ``alpaca_eval_gpt4_baseline``.)
* **Judge prompt**: AlpacaEval 2.0's default annotator ``weighted_alpaca_eval_gpt4_turbo`` uses
  ``alpaca_eval_clf_gpt4_turbo/alpaca_eval_clf.txt`` (bundled byte for byte): a system message and
  a user message showing the two outputs as models ``m`` (``output_1``) and ``M`` (``output_2``);
  the judge answers with the identifier of the better one. The ChatML text is split into messages
  as upstream's ``prompt_to_chatml`` does.
* **Verdict** (deviation): that annotator reads the log-probabilities of ``m`` and ``M`` in the
  first token (``logprob_parser``, ``is_binarize: false``) and gets a soft preference. A judge
  server need not return log-probabilities, so we read the reply's text: it must be the identifier
  alone (``m`` or ``M``, case-sensitive; surrounding whitespace, quotes, backticks, ``*`` and a
  final period are tolerated, and a ``<think>`` block is removed first). This is the same prompt's
  binarized annotator ``alpaca_eval_clf_gpt4_turbo`` (``is_binarize: true``) read from the text
  instead of the top log-probability. Any other reply is a ``judge_parse_error`` and excludes the
  sample. The prompt offers no tie; as upstream's ``_preprocess``, an answer identical to the
  reference is a tie (preference 0.5) without asking the judge.
* **Position**: one game per sample. As upstream's ``RandomSwitchTwoColumnsProcessor``, the
  reference is ``output_1`` unless ``random.Random("is_switched_outputs" + instruction +
  str(seed)).choices([False, True])`` draws True, which puts the model first. The seed is the run's
  ``seed`` (Assay's default 42), or upstream's annotator seed 0 when the run has none; with
  ``--seed 0`` the order of every instruction is upstream's. Keyed on the instruction text, the
  draw is stable across runs, limits and resumes. The review records the seed, the order, the
  judge's letter, the winner and every reply. ``judge.position_swap: on`` plays both orders
  instead, and the preference is the mean of the two games (0.5 when they disagree). EvalScope
  (``alpaca_eval_adapter.py``) always shows the reference as ``m`` and the model as ``M``.
* **Metrics**: per sample the model's preference (1 win, 0 loss, 0.5 tie) as ``win_rate``; for
  the report, each subset and the benchmark, the corpus metrics ``win_rate`` (the headline: mean
  preference, standard error as AlpacaEval's ``get_winrate``) and ``length_controlled_win_rate``
  (AlpacaEval 2.0's GLM without its instruction-difficulty term, lengths in characters of the
  answer the judge saw and of the reference), both from :mod:`assay.judge.winrate`, which
  states every difference from upstream. Rates are fractions, not percent. ``mean_win_rate`` (the
  per-sample mean, EvalScope's report key) equals ``win_rate`` when every sample has one repeat.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from assay.benchmarks._base import DataSpec, LocalFile, bundled_text
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._qa import QuestionAnswerAdapter
from assay.benchmarks._registry import register_benchmark
from assay.judge.scorers import JudgedScorer
from assay.judge.service import JudgeVerdict
from assay.judge.winrate import length_controlled_win_rate, win_rate
from assay.report.build import Estimate
from assay.scoring.filters import strip_reasoning
from assay.scoring.scorer import register_scorer
from assay.types import ChatMessage, ModelOutput, Sample, SampleStatus, Score

if TYPE_CHECKING:
    from assay.scoring.context import ScoringContext

logger = logging.getLogger(__name__)

#: The judge prompt of AlpacaEval 2.0's default annotator (tatsu-lab/alpaca_eval ``cd543a1``,
#: ``src/alpaca_eval/evaluators_configs/alpaca_eval_clf_gpt4_turbo/alpaca_eval_clf.txt``).
PROMPT_FILE = "alpaca_eval_clf_gpt4_turbo.txt"

#: Upstream's annotator seed (``PairwiseAnnotator(seed=0)``), used when the run has no seed.
UPSTREAM_POSITION_SEED = 0

#: The hub configurations: AlpacaEval 2.0's reference (read by default), then 1.0's.
_CONFIGS = ("alpaca_eval_gpt4_baseline", "alpaca_eval")
_HUB_IDS = frozenset({"tatsu-lab/alpaca_eval", "AI-ModelScope/alpaca_eval"})
#: AlpacaEval 2.0's reference model, as the records' ``generator`` names it.
REFERENCE_2_0 = "gpt4_turbo"

#: The reference answer's position is drawn with this prefix, upstream's ``_switch_column``.
_SWITCH_KEY = "is_switched_outputs"

#: The identifier alone, with the wrapping a chat model may add.
_VERDICT = re.compile(r"[\s\"'`*]*([mM])[\s\"'`*]*\.?\s*")


@functools.cache
def judge_messages() -> tuple[str, str]:
    """The bundled prompt as (system, user template), split as upstream's ``prompt_to_chatml``."""
    messages: dict[str, str] = {}
    for block in bundled_text(PROMPT_FILE).strip().split("<|im_start|>")[1:]:
        role, _, rest = block.partition("\n")
        messages[role.strip()] = rest.split("<|im_end|>", 1)[0].strip()
    return messages["system"], messages["user"]


def fill_judge_prompt(template: str, *, instruction: str, output_1: str, output_2: str) -> str:
    """The judge's user message; each placeholder filled once, in one pass.

    Upstream replaces the placeholders one after another with ``str.replace``, so an instruction
    that itself contains ``{output_1}`` would be filled too; one pass fills only the template's.

    Example:
        >>> fill_judge_prompt('"{instruction}" m: {output_1} M: {output_2}', instruction="{output_2}",
        ...                   output_1="a", output_2="b")
        '"{output_2}" m: a M: b'
    """
    values = {"instruction": instruction, "output_1": output_1, "output_2": output_2}
    return re.sub(r"\{(instruction|output_1|output_2)\}", lambda m: values[m.group(1)], template)


def parse_best_model(reply: str) -> str | None:
    """``m`` or ``M`` when the reply is that identifier alone, else None.

    Example:
        >>> parse_best_model(" `M`. "), parse_best_model("m"), parse_best_model("Model M is better")
        ('M', 'm', None)
    """
    match = _VERDICT.fullmatch(strip_reasoning(reply)[0])
    return match.group(1) if match else None


def model_goes_first(instruction: str, seed: int) -> bool:
    """Whether the model's answer is shown as ``output_1`` (``m``): upstream's seeded switch.

    Example:
        >>> model_goes_first("What is the capital of France?", 0) in (True, False)
        True
    """
    return random.Random(_SWITCH_KEY + instruction + str(seed)).choices([False, True], k=1)[0]


def release_files(root: Path, subset: str, split: str) -> list[LocalFile]:
    """The hub's ``<configuration>.json`` files (JSON arrays), AlpacaEval 2.0's first; JSONL copies too."""
    return [LocalFile(root / f"{config}{suffix}") for config in _CONFIGS for suffix in (".json", ".jsonl")]


def hub_route(meta: BenchmarkMeta, subset: str, split: str) -> tuple[str | None, str]:
    """AlpacaEval's hub datasets hold the 2.0 reference in ``alpaca_eval_gpt4_baseline``; another id uses the subset."""
    return (_CONFIGS[0] if meta.dataset_id in _HUB_IDS else subset), split


@register_benchmark(
    BenchmarkMeta(
        name="alpaca_eval",
        pretty_name="AlpacaEval",
        description=(
            "AlpacaEval asks 805 open-ended instructions (from self-instruct, OASST, Koala, Vicuna and "
            "Anthropic's helpful set) and has an LLM judge pick, per instruction, the better of the "
            "model's answer and a reference model's answer (gpt4_turbo for AlpacaEval 2.0, "
            "text-davinci-003 for 1.0). The score is the model's win rate against the reference, with "
            "AlpacaEval 2.0's length-controlled win rate beside it, which discounts the judge's "
            "preference for longer answers."
        ),
        tags=["instruction-following", "llm-judge"],
        paper_url="https://arxiv.org/abs/2404.04475",
        version="1",
        dataset_id="tatsu-lab/alpaca_eval",
        modelscope_dataset_id="AI-ModelScope/alpaca_eval",
        homepage="https://github.com/tatsu-lab/alpaca_eval",
        license="CC-BY-NC-4.0",  # tatsu-lab/alpaca_eval dataset card (shared/data/alpaca_eval/SOURCE.md)
        sample_counts={"default": 805},  # both configurations; counted in shared/data/alpaca_eval (SOURCE.md)
        example=BenchmarkExample(
            record={
                "instruction": "Please give me a list of planets in our solar system.  I am going to choose "
                "which one I want to know more.",
                "output": "The planets in our solar system are: Mercury, Venus, Earth, Mars, Jupiter, Saturn, "
                "Uranus, and Neptune.",
                "generator": "text_davinci_003",
                "dataset": "helpful_base",
            },
            source="record 71 of the configuration alpaca_eval (tatsu-lab/alpaca_eval): a text_davinci_003 reference",
        ),
        local_layout=(
            "<dir>/alpaca_eval_gpt4_baseline.json or <dir>/alpaca_eval.json (the hub's JSON arrays) or the same "
            "names as .jsonl, records {instruction, output (the reference answer), generator, dataset}"
        ),
        available_subsets=["default"],
        subset_list=["default"],
        eval_split="eval",
        prompt_template="{question}",
        scorers={"win_rate": "alpaca_pairwise"},
        metric_list=["win_rate"],
        headline_metric="win_rate",
    )
)
class AlpacaEvalAdapter(QuestionAnswerAdapter):
    """Instructions to samples whose target is the reference answer; judged pairwise against it."""

    data: ClassVar[DataSpec] = DataSpec(upstream=release_files, hub_route=hub_route)

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        instruction = str(record["instruction"])
        return Sample(
            id=f"{subset}-{index}",
            input=instruction,
            target=str(record["output"]),
            subset=subset,
            metadata={
                "question": instruction,
                "reference_generator": record.get("generator"),
                "source_dataset": record.get("dataset"),
            },
        )

    def load(self, limit: int | float | None = None) -> dict[str, list[Sample]]:
        loaded = super().load(limit)
        generators = {s.metadata["reference_generator"] for samples in loaded.values() for s in samples}
        if generators != {REFERENCE_2_0}:
            where = ", ".join(sorted({origin.location for origin in self.data_sources}))
            logger.warning(
                "alpaca_eval: the reference answers in %s are by %s, not AlpacaEval 2.0's %s: the win rates are "
                "against that reference",
                where,
                ", ".join(sorted(str(g or "an unnamed model") for g in generators)),
                REFERENCE_2_0,
            )
        return loaded

    def scorer_options(self) -> dict[str, dict[str, Any]]:
        seed = UPSTREAM_POSITION_SEED if self.seed is None else self.seed
        return {"alpaca_pairwise": {"position_seed": seed}}

    def corpus_metrics(self, reviews: Sequence[Mapping[str, Any]]) -> Mapping[str, Estimate]:
        return win_rate_metrics(reviews)


def win_rate_metrics(reviews: Sequence[Mapping[str, Any]]) -> dict[str, Estimate]:
    """``win_rate`` and ``length_controlled_win_rate`` of a group of reviews.

    Every sample the judge saw counts for the length scale; the judged ones (scored) carry a
    preference, the others (excluded for a judge failure) none, as upstream keeps NaN preferences
    until after it computes the scale. Errored samples (no answer) are left out. A group without
    any preference has no estimate; one whose lengths cannot be fitted has no LC estimate.
    """
    preferences: list[float | None] = []
    model_chars: list[int] = []
    reference_chars: list[int] = []
    for review in reviews:
        score = review["score"]
        details = score.get("details") or {}
        if "model_chars" not in details:
            continue
        scored = score.get("status", SampleStatus.SCORED.value) == SampleStatus.SCORED.value
        preferences.append(float(score["value"]["win_rate"]) if scored else None)
        model_chars.append(int(details["model_chars"]))
        reference_chars.append(int(details["reference_chars"]))
    if all(p is None for p in preferences):
        return {}
    raw = win_rate(preferences)
    metrics = {"win_rate": Estimate(raw.win_rate, raw.n, raw.stderr, method="mean preference (AlpacaEval get_winrate)")}
    try:
        lc = length_controlled_win_rate(preferences, model_chars, reference_chars)
    except ValueError as exc:
        logger.warning("alpaca_eval: no length-controlled win rate for %d samples: %s", len(preferences), exc)
        return metrics
    if lc.is_extreme_change:
        logger.warning(
            "alpaca_eval: the length-controlled win rate %.3f is far from the raw %.3f; the GLM may have failed",
            lc.lc_win_rate,
            lc.win_rate,
        )
    metrics["length_controlled_win_rate"] = Estimate(
        lc.lc_win_rate, lc.n, method="length-controlled GLM, no instruction term (no standard error)"
    )
    return metrics


@register_scorer("alpaca_pairwise")
class AlpacaPairwiseScorer(JudgedScorer):
    """One AlpacaEval judge game per sample (two with ``position_swap: on``); see the module docstring.

    Options: ``position_seed``, the seed of the position draw (set by the adapter from the run's seed).
    """

    version = "1"
    supported_metrics = ("win_rate",)

    def __init__(self, metrics: Sequence[str] | None = None, **options: Any) -> None:
        super().__init__(metrics, **options)
        self.position_seed = int(options.get("position_seed", UPSTREAM_POSITION_SEED))
        self.system, self.template = judge_messages()

    def settings(self) -> dict[str, Any]:
        return {"position_seed": self.position_seed, "system": self.system, "template": self.template}

    async def score(self, sample: Sample, output: ModelOutput, ctx: ScoringContext) -> Score:
        instruction = str(sample.metadata["question"])
        reference = sample.target if isinstance(sample.target, str) else sample.target[0]
        answer = output.text
        details: dict[str, Any] = {
            "model_chars": len(answer),
            "reference_chars": len(reference),
            "reference_generator": sample.metadata.get("reference_generator"),
            "position_seed": self.position_seed,
        }
        if answer == reference:  # upstream: identical outputs are a tie, never sent to the judge
            details.update(preference=0.5, identical_outputs=True, games=[])
            return Score(value=dict.fromkeys(self.metrics, 0.5), extracted=answer, details=details)
        drawn = model_goes_first(instruction, self.position_seed)
        swap = self.judge_of(ctx).config.position_swap == "on"
        orders = [drawn, not drawn] if swap else [drawn]
        verdicts = await asyncio.gather(*(self._game(ctx, instruction, answer, reference, first) for first in orders))
        games = [_game_record(first, verdict) for first, verdict in zip(orders, verdicts, strict=True)]
        details["games"] = games
        failed = next((verdict for verdict in verdicts if not verdict.ok), None)
        if failed is not None:
            return Score(status=SampleStatus.EXCLUDED, reason=failed.reason, extracted=answer, details=details)
        preference = sum(game["preference"] for game in games) / len(games)
        details["preference"] = preference
        return Score(value=dict.fromkeys(self.metrics, preference), extracted=answer, details=details)

    async def _game(
        self, ctx: ScoringContext, instruction: str, answer: str, reference: str, model_first: bool
    ) -> JudgeVerdict:
        first, second = (answer, reference) if model_first else (reference, answer)
        prompt = fill_judge_prompt(self.template, instruction=instruction, output_1=first, output_2=second)
        messages = [ChatMessage(role="system", content=self.system), ChatMessage(role="user", content=prompt)]
        return await self.judge_of(ctx).ask(messages, parse_best_model, scorer=self.name, version=self.version)


def _game_record(model_first: bool, verdict: JudgeVerdict) -> dict[str, Any]:
    """One game as the review keeps it: who was shown where, the judge's letter, and what it means."""
    model_letter = "m" if model_first else "M"
    record: dict[str, Any] = {
        "order": "model_first" if model_first else "reference_first",
        "model_identifier": model_letter,
        "verdict": verdict.value,
        "judge": verdict.as_json(),
    }
    if verdict.ok:
        model_wins = verdict.value == model_letter
        record["winner"] = "model" if model_wins else "reference"
        record["preference"] = 1.0 if model_wins else 0.0
    return record
