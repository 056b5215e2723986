"""Arena-Hard's pairwise judging, shared by ``arena_hard`` (v0.1) and ``arena_hard_v2``.

The protocol of lmarena/arena-hard-auto (``gen_judgment.py``, ``utils/judge_utils.py``, the
``config/arena-hard-v*.yaml`` files; commit 196f6b8), one sample at a time:

* **Games.** The judge sees the question and two answers as Assistant A and B, under the official
  system prompt (per category in v2: creative writing has its own, without "generate your own answer
  first"), and ends its reply with a verdict label such as ``[[B>A]]``. Game 1 shows the baseline as
  A and the model as B; game 2 swaps them. ``judge.position_swap: off`` plays game 1 only. Each game
  is one judge request (retries are the judge's transport retries, never a re-ask).
* **Verdicts.** v0.1 (the release's ``get_score``): the one distinct ``[[label]]`` of the reply; none,
  or two different ones, is no verdict. v2 (the current ``get_score``): ``[[label]]``, else
  ``[label]``, in the upper-cased reply, the last match of the first pattern that matches. A label
  that is not one of :data:`~assay.judge.pairwise_stats.VERDICTS` (``[[A>B>A]]``) is no verdict
  either (upstream crashes on it later, in ``show_result.py``).
* **Per sample.** ``win_rate``: the mean of the model's game outcomes (1 win, 0.5 tie, 0 loss;
  strength ignored). A sample without a verdict in any game is excluded with the judge's reason
  (``judge_parse_error`` if any game's reply could not be parsed, else ``judge_transport_error``); a
  sample with one good game is scored from it, as upstream v0.1 skips a game without a verdict. The
  review keeps every game (``details.games``: order, the model's outcome, the judge's replies) and
  the style features of both answers (``details.style``).
* **Score.** ``arena_score``: :func:`~assay.judge.pairwise_stats.arena_result` over the scored
  reviews of a group, read back from their details in sample-id order: the Bradley-Terry win rate
  against the baseline (a strong verdict counts as 3 battles) with a 90% bootstrap interval
  (``extra_params.bootstrap_rounds``, default 100; seeded with the run's ``seed``, else 42). With
  ``extra_params.style_control`` the same fit with length and markdown covariates is reported too
  (``arena_score_style_controlled``). The report's ``stderr`` of these is the normal-equivalent
  ``(ci_high - ci_low) / (2 * 1.645)``; the interval is the real uncertainty.

Deviations from upstream: v0.1's release asked the judge to continue once when a reply held no
verdict (``number_of_judgment_attempts: 2``); the current code never does, and neither do we (such
a game has no verdict). Upstream v2 drops a question when either game lacks a verdict; we keep the
other game, as v0.1 did (see :func:`~assay.judge.pairwise_stats.arena_result` for the statistics).
Upstream's judge samples with ``temperature 0`` and ``max_tokens`` 4096 (v0.1) or 16000 (v2, GPT-4.1);
ours are the run's judge settings. The baselines' answers must be local (upstream files); a hub copy
of the questions alone cannot be judged.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from assay.benchmarks._base import BenchmarkAdapter, LocalFile, format_template, read_local_file
from assay.benchmarks._meta import BenchmarkMeta
from assay.errors import UserError
from assay.judge.pairwise_stats import VERDICTS, ArenaResult, PairJudgment, StyleFeatures, arena_result, style_features
from assay.judge.scorers import JudgedScorer, question_text
from assay.judge.service import PARSE_ERROR, TRANSPORT_ERROR, JudgeVerdict
from assay.report.build import Estimate
from assay.scoring.scorer import register_scorer
from assay.types import ModelOutput, Sample, SampleStatus, Score

if TYPE_CHECKING:
    from assay.scoring.context import ScoringContext

logger = logging.getLogger("assay")

_OPENING = (
    "Please act as an impartial judge and evaluate the quality of the responses provided by two AI assistants to "
    "the user prompt displayed below. You will be given assistant A's answer and assistant B's answer. Your job is "
    "to evaluate which assistant's answer is better.\n\n"
)
_OWN_ANSWER = (
    "Begin your evaluation by generating your own answer to the prompt. You must provide your answers before "
    "judging any answers.\n\n"
    "When evaluating the assistants' answers, compare both assistants' answers with your answer. You must identify "
    "and correct any mistakes or inaccurate information.\n\n"
)
_NO_OWN_ANSWER = (
    "When evaluating the assistants' answers, compare both assistants' answers. You must identify and correct any "
    "mistakes or inaccurate information.\n\n"
)
_CRITERIA_AND_LABELS = (
    "Then consider if the assistant's answers are helpful, relevant, and concise. Helpful means the answer "
    "correctly responds to the prompt or follows the instructions. Note when user prompt has any ambiguity or more "
    "than one interpretation, it is more helpful and appropriate to ask for clarifications or more information "
    "from the user than providing an answer based on assumptions. Relevant means all parts of the response closely "
    "connect or are appropriate to what is being asked. Concise means the response is clear and not verbose or "
    "excessive.\n\n"
    "Then consider the creativity and novelty of the assistant's answers when needed. Finally, identify any missing "
    "important information in the assistants' answers that would be beneficial to include when responding to the "
    "user prompt.\n\n"
    "After providing your explanation, you must output only one of the following choices as your final verdict "
    "with a label:\n\n"
    "1. Assistant A is significantly better: [[A>>B]]\n"
    "2. Assistant A is slightly better: [[A>B]]\n"
    "3. Tie, relatively the same: [[A=B]]\n"
    "4. Assistant B is slightly better: [[B>A]]\n"
    "5. Assistant B is significantly better: [[B>>A]]\n\n"
    'Example output: "My final verdict is tie: [[A=B]]".'
)

#: Upstream ``OG_ARENA_HARD_PROMPT``: the judge of v0.1 and of v2's hard prompts.
JUDGE_SYSTEM_PROMPT = _OPENING + _OWN_ANSWER + _CRITERIA_AND_LABELS
#: Upstream ``JUDGE_SETTINGS["creative_writing"]["system_prompt"]`` (v2): no answer of the judge's own.
CREATIVE_WRITING_SYSTEM_PROMPT = _OPENING + _NO_OWN_ANSWER + _CRITERIA_AND_LABELS
#: The judge's user turn (``prompt_template`` of both configs; ``{QUESTION}`` etc. renamed).
JUDGE_USER_TEMPLATE = (
    "<|User Prompt|>\n{question}\n\n"
    "<|The Start of Assistant A's Answer|>\n{answer_a}\n<|The End of Assistant A's Answer|>\n\n"
    "<|The Start of Assistant B's Answer|>\n{answer_b}\n<|The End of Assistant B's Answer|>"
)

#: Corpus metric names: the headline, and the style-controlled score (``extra_params.style_control``).
ARENA_SCORE = "arena_score"
STYLE_CONTROLLED_SCORE = "arena_score_style_controlled"
#: Game orders, in play order: baseline shown as Assistant A first, then the model.
BASELINE_FIRST, MODEL_FIRST = "baseline_first", "model_first"
#: Options every Arena-Hard benchmark takes in ``extra_params`` (defaults) and their help.
EXTRA_PARAMS: dict[str, Any] = {"baseline_model": None, "style_control": False, "bootstrap_rounds": 100}
EXTRA_PARAMS_HELP: dict[str, str] = {
    "baseline_model": "model whose answers (model_answer/<name>.jsonl) the model is compared with: a name for "
    "every subset, or {subset: name}; default: the official baseline of each subset",
    "style_control": "also report arena_score_style_controlled (length and markdown as covariates)",
    "bootstrap_rounds": "bootstrap rounds of the 90% confidence interval",
}

_DOUBLE_BRACKETS = re.compile(r"\[\[([AB<>=]+)\]\]")
_SINGLE_BRACKETS = re.compile(r"\[([AB<>=]+)\]")
_A_WINS = frozenset({"A>>B", "A>B", "B<A", "B<<A"})
_TIES = frozenset({"A=B", "B=A"})
#: z such that N(0, 1) has 90% of its mass in [-z, z]: turns the 90% interval into a standard error.
_Z_90 = 1.6448536269514722


def parse_verdict_v01(reply: str) -> str | None:
    """v0.1's rule: the single distinct ``[[label]]`` of the reply; several different ones are no verdict.

    Example:
        >>> parse_verdict_v01("A is fine. [[B>A]] ... so [[B>A]]"), parse_verdict_v01("[[A>B]] or [[B>A]]")
        ('B>A', None)
    """
    labels = set(_DOUBLE_BRACKETS.findall(reply))
    label = labels.pop() if len(labels) == 1 else None
    return label if label in VERDICTS else None


def parse_verdict_v2(reply: str) -> str | None:
    """v2's rule: in the upper-cased reply, the last ``[[label]]``, else the last ``[label]``.

    Example:
        >>> parse_verdict_v2("[[A>B]] at first, but finally [[b>a]]"), parse_verdict_v2("Verdict: [A=B]")
        ('B>A', 'A=B')
    """
    text = reply.upper()
    for pattern in (_DOUBLE_BRACKETS, _SINGLE_BRACKETS):
        matches = pattern.findall(text)
        if matches:
            label = str(matches[-1])
            return label if label in VERDICTS else None
    return None


#: Verdict rules by upstream version.
VERDICT_PARSERS: dict[str, Callable[[str], str | None]] = {"v0.1": parse_verdict_v01, "v2.0": parse_verdict_v2}


def model_outcome(label: str, *, model_is_a: bool) -> float:
    """The model's result in one game: 1 win, 0.5 tie, 0 loss (a strong verdict counts the same)."""
    a_score = 1.0 if label in _A_WINS else 0.5 if label in _TIES else 0.0
    return a_score if model_is_a else 1.0 - a_score


@register_scorer("arena_pairwise")
class ArenaPairwiseScorer(JudgedScorer):
    """The model's answer against the baseline's, judged in both position orders (see the module docstring).

    Options: ``verdict_rule`` (``v0.1`` or ``v2.0``), ``system_prompts`` (subset -> judge system
    prompt; other subsets get :data:`JUDGE_SYSTEM_PROMPT`) and ``baselines`` (subset -> baseline
    name, so a new baseline re-scores cached reviews). Samples carry the baseline's answer in
    ``metadata["baseline_answer"]``.
    """

    version = "1"
    supported_metrics = ("win_rate",)

    def __init__(self, metrics: Sequence[str] | None = None, **options: Any) -> None:
        super().__init__(metrics, **options)
        rule = options.get("verdict_rule", "v2.0")
        if rule not in VERDICT_PARSERS:
            raise ValueError(f"verdict_rule must be one of {sorted(VERDICT_PARSERS)}, got {rule!r}")
        self.parse = VERDICT_PARSERS[rule]
        self.system_prompts: dict[str, str] = dict(options.get("system_prompts") or {})

    def settings(self) -> dict[str, Any]:
        return {**self.options, "user_template": JUDGE_USER_TEMPLATE, "default_system": JUDGE_SYSTEM_PROMPT}

    async def score(self, sample: Sample, output: ModelOutput, ctx: ScoringContext) -> Score:
        baseline = sample.metadata.get("baseline_answer")
        if not isinstance(baseline, str):
            return Score(status=SampleStatus.EXCLUDED, reason="the sample has no baseline answer to compare with")
        system = self.system_prompts.get(sample.subset, JUDGE_SYSTEM_PROMPT)
        question = question_text(sample)
        both = self.judge_of(ctx).config.position_swap != "off"
        orders = (BASELINE_FIRST, MODEL_FIRST) if both else (BASELINE_FIRST,)
        asks = []
        for order in orders:
            a, b = (baseline, output.text) if order == BASELINE_FIRST else (output.text, baseline)
            prompt = JUDGE_USER_TEMPLATE.format(question=question, answer_a=a, answer_b=b)
            asks.append(self.ask(ctx, prompt, self.parse, system=system))
        verdicts = await asyncio.gather(*asks)
        return self._verdict(sample, output.text, baseline, orders, verdicts)

    def _verdict(
        self, sample: Sample, answer: str, baseline: str, orders: Sequence[str], verdicts: Sequence[JudgeVerdict]
    ) -> Score:
        games: list[dict[str, Any]] = []
        outcomes: list[float] = []
        for order, verdict in zip(orders, verdicts, strict=True):
            outcome = model_outcome(str(verdict.value), model_is_a=order == MODEL_FIRST) if verdict.ok else None
            games.append({"order": order, "model_outcome": outcome, "judge": verdict.as_json()})
            if outcome is not None:
                outcomes.append(outcome)
        details = {
            "baseline_model": sample.metadata.get("baseline_model"),
            "games": games,
            "style": {"model": asdict(style_features(answer)), "baseline": asdict(style_features(baseline))},
        }
        if not outcomes:
            reason = PARSE_ERROR if any(v.reason == PARSE_ERROR for v in verdicts) else TRANSPORT_ERROR
            return Score(status=SampleStatus.EXCLUDED, reason=reason, details=details)
        labels = ", ".join(f"{order}={verdict.value}" for order, verdict in zip(orders, verdicts, strict=True))
        value = sum(outcomes) / len(outcomes)
        return Score(value=dict.fromkeys(self.metrics, value), extracted=labels, details=details)


# ---------------------------------------------------------------------------------------------- corpus metrics
def pair_judgments(reviews: Sequence[Mapping[str, Any]]) -> tuple[list[PairJudgment], set[str]]:
    """The scored reviews as :class:`PairJudgment` s in (sample id, repeat) order, and their baselines' names.

    The order is fixed so that the bootstrap, which resamples battle rows, does not depend on the
    order in which samples finished.
    """
    rows: list[tuple[str, int, PairJudgment]] = []
    baselines: set[str] = set()
    for review in reviews:
        score = review.get("score") or {}
        details = score.get("details") or {}
        if score.get("status", "scored") != "scored" or not isinstance(details.get("games"), list):
            continue
        verdicts = {game.get("order"): (game.get("judge") or {}).get("verdict") for game in details["games"]}
        style = details.get("style") or {}
        sample_id, repeat = str(review.get("sample_id")), int(review.get("repeat", 0))
        judgment = PairJudgment(
            question_id=f"{sample_id}#{repeat}",
            baseline_first=verdicts.get(BASELINE_FIRST),
            model_first=verdicts.get(MODEL_FIRST),
            model_style=StyleFeatures(**style["model"]) if "model" in style else None,
            baseline_style=StyleFeatures(**style["baseline"]) if "baseline" in style else None,
        )
        rows.append((sample_id, repeat, judgment))
        if details.get("baseline_model"):
            baselines.add(str(details["baseline_model"]))
    rows.sort(key=lambda row: (row[0], row[1]))
    return [judgment for _, _, judgment in rows], baselines


def arena_estimates(
    reviews: Sequence[Mapping[str, Any]], *, rounds: int, seed: int, style_control: bool
) -> dict[str, Estimate]:
    """``arena_score`` (and with ``style_control`` the style-controlled score) of a group of reviews.

    A group without a judged game has no estimate (an empty mapping). A style-controlled fit that
    cannot be made (a style feature constant over the group's battles) is left out with a warning.
    """
    judgments, baselines = pair_judgments(reviews)
    judged = [j for j in judgments if j.baseline_first is not None or j.model_first is not None]
    if not judged:
        return {}
    baseline = " / ".join(sorted(baselines)) or "baseline"
    result = arena_result(judged, baseline=baseline, rounds=rounds, seed=seed)
    estimates = {ARENA_SCORE: _estimate(result, len(judged))}
    if style_control:
        try:
            controlled = arena_result(judged, baseline=baseline, rounds=rounds, seed=seed, style_control=True)
        except ValueError as exc:
            logger.warning("%s not computed over %d judged samples: %s", STYLE_CONTROLLED_SCORE, len(judged), exc)
        else:
            estimates[STYLE_CONTROLLED_SCORE] = _estimate(controlled, len(judged))
    return estimates


def _estimate(result: ArenaResult, judged: int) -> Estimate:
    style = " at equal length and markdown (style control)" if result.style_control else ""
    method = (
        f"Bradley-Terry win rate vs {result.baseline}{style}, fitted on {result.battles} battles from "
        f"{result.games} games (strong verdicts x3); 90% CI: {result.rounds}-round bootstrap of battles, "
        f"seed {result.seed}; stderr = CI width / 3.29"
    )
    return Estimate(
        score=result.score,
        num=judged,
        stderr=(result.ci_high - result.ci_low) / (2 * _Z_90),
        ci_low=result.ci_low,
        ci_high=result.ci_high,
        ci_level=0.90,
        method=method,
    )


# ---------------------------------------------------------------------------------------------- data
def upstream_question_files(folder: str) -> Callable[[Path, str, str], list[LocalFile]]:
    """The question file of an arena-hard-auto checkout (``data/<folder>/``), or of that folder itself."""

    def files(root: Path, subset: str, split: str) -> list[LocalFile]:
        return [LocalFile(root / "data" / folder / "question.jsonl"), LocalFile(root / "question.jsonl")]

    return files


def read_model_answers(path: Path, benchmark: str, model: str) -> dict[str, str]:
    """Question id -> answer text of one upstream ``model_answer/<model>.jsonl``.

    Both upstream formats are read: ``uid`` with ``messages[-1].content.answer`` (current) and
    ``question_id`` with ``choices[0].turns[0].content`` (the v0.1 release).

    Raises:
        UserError: The file is missing, or a line holds no answer in either format.
    """
    if not path.is_file():
        raise UserError(
            f"{benchmark}: no answers of the baseline {model!r}: {path} does not exist; add that file (upstream "
            "data/<version>/model_answer/) or choose another baseline with extra_params.baseline_model"
        )
    answers: dict[str, str] = {}
    for line, row in enumerate(read_local_file(LocalFile(path)), start=1):
        uid, text = _answer_of(row)
        if uid is None or text is None:
            raise UserError(
                f"{path}: line {line} holds no answer in a known format (uid with messages[-1].content.answer, "
                "or question_id with choices[0].turns[0].content)"
            )
        answers[uid] = text
    return answers


def _answer_of(row: Mapping[str, Any]) -> tuple[str | None, str | None]:
    uid = row.get("uid", row.get("question_id"))
    key = None if uid is None else str(uid)
    messages = row.get("messages")
    if isinstance(messages, list) and messages and isinstance(messages[-1], Mapping):
        content = messages[-1].get("content")
        if isinstance(content, Mapping):
            content = content.get("answer")
        return key, content if isinstance(content, str) else None
    try:
        return key, str(row["choices"][0]["turns"][0]["content"])
    except (KeyError, IndexError, TypeError):
        return key, None


def _question_of(record: Mapping[str, Any]) -> str:
    """The question of a record: upstream ``prompt``, the hub's ``turns[0].content``, or EvalScope's ``question``."""
    if "prompt" not in record and "turns" in record:
        return str(record["turns"][0]["content"])
    if "prompt" not in record and "question" in record:
        return str(record["question"])
    return str(record["prompt"])


class ArenaAdapter(BenchmarkAdapter):
    """Arena-Hard questions as single user turns, each paired with a baseline's answer to judge against.

    Subclasses set ``data`` (with :func:`upstream_question_files`), :attr:`official_baselines`,
    :attr:`judge_system_prompts` and :attr:`verdict_rule`.
    """

    default_scorers: ClassVar[dict[str, str]] = {"win_rate": "arena_pairwise"}
    #: Subset -> the baseline upstream compares with (``JUDGE_SETTINGS[category]["baseline"]``).
    official_baselines: ClassVar[dict[str, str]] = {}
    #: Subset -> the judge's system prompt.
    judge_system_prompts: ClassVar[dict[str, str]] = {}
    #: Key of :data:`VERDICT_PARSERS`.
    verdict_rule: ClassVar[str] = "v2.0"
    #: The baseline whose answers a hub copy carries in a ``prediction`` column (EvalScope's ModelScope
    #: copy of v0.1: gpt-4-0314); None = no hub copy carries baseline answers.
    inline_baseline: ClassVar[str | None] = None

    @classmethod
    def finalize_meta(cls, meta: BenchmarkMeta, given: frozenset[str]) -> BenchmarkMeta:
        meta = super().finalize_meta(meta, given)
        rounds = meta.extra_params["bootstrap_rounds"]
        if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 1:
            raise UserError(
                f"extra_params.bootstrap_rounds for {meta.name} must be a whole number >= 1, got {rounds!r}"
            )
        chosen = meta.extra_params["baseline_model"]
        subsets = meta.available_subsets or []
        valid = chosen is None or (isinstance(chosen, str) and chosen)
        if isinstance(chosen, Mapping):
            valid = all(s in subsets and isinstance(m, str) and m for s, m in chosen.items())
        if not valid:
            raise UserError(
                f"extra_params.baseline_model for {meta.name} must be a model name or {{subset: name}} with subsets "
                f"from {', '.join(subsets)}, got {chosen!r}"
            )
        return meta

    def baseline_for(self, subset: str) -> str:
        """The baseline the model is compared with on ``subset``."""
        chosen = self.meta.extra_params["baseline_model"]
        if isinstance(chosen, str):
            return chosen
        if isinstance(chosen, Mapping) and subset in chosen:
            return str(chosen[subset])
        return self.official_baselines[subset]

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        question = _question_of(record)
        uid = record.get("uid", record.get("question_id"))
        metadata: dict[str, Any] = {"question": question, "uid": uid}
        metadata.update({k: record[k] for k in ("category", "subcategory", "cluster", "capability") if k in record})
        inline = record.get("prediction")
        if self.inline_baseline is not None and isinstance(inline, str):
            metadata["baseline_answer"] = inline
        baseline = self.baseline_for(subset)
        return Sample(
            id=str(uid) if uid is not None else f"{subset}-{index}",
            input=question,
            # Replaced by the baseline's answer when the data is loaded (see load).
            target=f"(the answer of the baseline {baseline}, joined from model_answer/{baseline}.jsonl at load)",
            subset=subset,
            metadata=metadata,
        )

    def format_prompt(self, sample: Sample, fewshot: str | None) -> str:
        assert isinstance(sample.input, str)
        return format_template(self.meta.prompt_template, "prompt_template", self.meta.name, question=sample.input)

    def scorer_options(self) -> dict[str, dict[str, Any]]:
        subsets = self.meta.available_subsets or self.meta.subset_list
        return {
            "arena_pairwise": {
                "verdict_rule": self.verdict_rule,
                "system_prompts": {s: self.judge_system_prompts[s] for s in subsets},
                "baselines": {s: self.baseline_for(s) for s in subsets},
            }
        }

    def corpus_metrics(self, reviews: Sequence[Mapping[str, Any]]) -> Mapping[str, Estimate]:
        params = self.meta.extra_params
        return arena_estimates(
            reviews,
            rounds=int(params["bootstrap_rounds"]),
            seed=self.shuffle_seed,
            style_control=bool(params["style_control"]),
        )

    def load(self, limit: int | float | None = None) -> dict[str, list[Sample]]:
        """The questions of each subset, each with its baseline's answer (``metadata`` and ``target``).

        Raises:
            UserError: Besides the usual data errors: a hub copy without the baselines' answers, a
                missing ``model_answer/<baseline>.jsonl``, or a question it does not answer.
        """
        if self.source.local_root() is None:
            self._check_hub_has_baselines()
        loaded = super().load(limit)
        return {subset: self._with_baselines(subset, samples) for subset, samples in loaded.items()}

    def _check_hub_has_baselines(self) -> None:
        wanted = {self.baseline_for(s) for s in self.meta.subset_list}
        if self.dataset_hub == "modelscope" and self.inline_baseline is not None and wanted == {self.inline_baseline}:
            return
        alternative = (
            f"; or use --dataset-hub modelscope, whose copy carries {self.inline_baseline}'s answers"
            if self.inline_baseline is not None
            else ""
        )
        raise UserError(
            f"{self.meta.name} compares answers with those of {', '.join(sorted(wanted))}, which the hub copy "
            f"{self.meta.dataset_id} does not hold: clone https://github.com/lmarena/arena-hard-auto and set "
            f"local_path to it in dataset_args, or pass --dataset-dir with <dir>/{self.meta.name}/ "
            f"({self.meta.local_layout}){alternative}"
        )

    def _with_baselines(self, subset: str, samples: list[Sample]) -> list[Sample]:
        model = self.baseline_for(subset)
        if model == self.inline_baseline and all("baseline_answer" in s.metadata for s in samples):
            answers = {s.id: str(s.metadata["baseline_answer"]) for s in samples}
            where = "the data's prediction column"
        else:
            origin = [o for o in self.data_sources if o.subset == subset][-1]
            if origin.hub is not None:
                raise UserError(
                    f"{origin.location} lacks {model}'s answer to some {self.meta.name}/{subset} questions; use a "
                    "local checkout of lmarena/arena-hard-auto (local_path)"
                )
            path = Path(origin.location).parent / "model_answer" / f"{model}.jsonl"
            answers, where = read_model_answers(path, self.meta.name, model), str(path)
        missing = [s.id for s in samples if s.id not in answers]
        if missing:
            raise UserError(
                f"{where} has no answer of {model} to {len(missing)} of the {len(samples)} {self.meta.name}/{subset} "
                f"questions (first: {missing[0]}); complete it or choose another extra_params.baseline_model"
            )
        return [
            s.model_copy(
                update={
                    "target": answers[s.id],
                    "metadata": {**s.metadata, "baseline_answer": answers[s.id], "baseline_model": model},
                }
            )
            for s in samples
        ]
