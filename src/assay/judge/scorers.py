"""Judge scorers: the generic ``llm_judge``, the ``llm_recall`` wrapper, and the base judged scorers share.

A judged scorer builds the judge's prompt, hands it with a parser to the run's
:class:`~assay.judge.service.Judge` (``ctx.judge``) and turns the verdict into a score. A verdict the
judge could not give (unparseable reply, failed request) excludes the sample with the judge's reason;
the replies are kept in ``Score.details`` so every verdict can be checked by reading the review.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from assay.judge.config import JudgeContract
from assay.judge.service import Judge, JudgeVerdict, Parsed
from assay.scoring.scorer import BaseScorer, Scorer, register_scorer, scorer_identity
from assay.types import ChatMessage, ModelOutput, Sample, SampleStatus, Score

if TYPE_CHECKING:
    from assay.scoring.context import ScoringContext

#: The generic grading prompt (EvalScope's, which follows OpenAI simple-evals), with the reply format
#: written into the prompt so the judge and the parser agree.
DEFAULT_PROMPT_TEMPLATE = """Your job is to look at a question, a gold target, and a predicted answer, and decide whether the predicted answer is correct or incorrect.

[Question]
{question}

[Reference Answer]
{gold}

[Predicted Answer]
{pred}

Evaluate the model's answer based on correctness compared to the reference answer.
Grade the predicted answer of this new question as one of:
A: CORRECT
B: INCORRECT

Just return the letter "A" or "B", with no text around it."""  # noqa: E501

#: The generic rating prompt for ``score_type: numeric`` (no reference answer).
DEFAULT_NUMERIC_TEMPLATE = """Please act as an impartial judge and evaluate the quality of the response provided by an AI assistant to the user question displayed below. Your evaluation should consider factors such as the helpfulness, relevance, accuracy, depth, creativity, and level of detail of the response.
Begin your evaluation by providing a short explanation. Be as objective as possible.
Rate the response on a scale of 0 (worst) to 1 (best), and end your reply with the rating in double brackets, for example: "Rating: [[0.5]]".

[Question]
{question}

[Response]
{pred}"""  # noqa: E501

#: simple-evals' math equivalence check (``math_eval.py``'s EQUALITY_TEMPLATE), used by ``llm_recall``
#: on math benchmarks: two final answers, trivial simplifications only, Yes or No.
MATH_EQUALITY_TEMPLATE = r"""Look at the following two expressions (answers to a math problem) and judge whether they are equivalent. Only perform trivial simplifications

Examples:

    Expression 1: $2x+3$
    Expression 2: $3+2x$

Yes

    Expression 1: 3/2
    Expression 2: 1.5

Yes

    Expression 1: $x^2+2x+1$
    Expression 2: $y^2+2y+1$

No

    Expression 1: $x^2+2x+1$
    Expression 2: $(x+1)^2$

Yes

    Expression 1: 3245/5
    Expression 2: 649

No
(these are actually equal, don't mark them equivalent if you need to do nontrivial simplifications)

    Expression 1: 2/(-3)
    Expression 2: -2/3

Yes
(trivial simplifications are allowed)

    Expression 1: 72 degrees
    Expression 2: 72

Yes
(give benefit of the doubt to units)

    Expression 1: 64
    Expression 2: 64 square feet

Yes
(give benefit of the doubt to units)

---

YOUR TASK


Respond with only "Yes" or "No" (without quotes). Do not include a rationale.

    Expression 1: {gold}
    Expression 2: {pred}"""  # noqa: E501

_PLACEHOLDER = re.compile(r"\{(question|gold|pred)\}")


def fill_template(template: str, *, question: str, gold: str, pred: str) -> str:
    """Fill ``{question}``, ``{gold}`` and ``{pred}`` once, leaving every other brace as written.

    ``str.format`` would choke on the braces of LaTeX answers and JSON examples in a prompt.

    Example:
        >>> fill_template("Q: {question} A: {pred} ({gold}) {x}", question="1+1", gold="2", pred="\\\\frac{4}{2}")
        'Q: 1+1 A: \\\\frac{4}{2} (2) {x}'
    """
    values = {"question": question, "gold": gold, "pred": pred}
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def question_text(sample: Sample) -> str:
    """The question a judge sees: the sample's raw question when the benchmark kept it, else its last user turn."""
    raw = sample.metadata.get("question")
    return raw if isinstance(raw, str) and raw else sample.user_text()


def gold_text(sample: Sample) -> str:
    """The reference answer(s) as one string."""
    return " / ".join(sample.target) if isinstance(sample.target, list) else sample.target


def parse_yes_no(text: str) -> str | None:
    """``Yes`` or ``No`` from a reply that should be exactly one of them (the first word decides)."""
    match = re.match(r"\W*(yes|no)\b", text.strip(), re.IGNORECASE)
    return match.group(1).capitalize() if match else None


def pattern_parser(contract: JudgeContract) -> Any:
    """The parser the contract describes: a label mapped by ``score_mapping``, or a number.

    ``pattern``: the last match of ``score_pattern`` (default: a standalone verdict letter of
    ``score_mapping``) must be a key of ``score_mapping``. ``numeric``: the first group of
    ``score_pattern`` (default ``[[x]]``), or a reply that is only a number.
    """
    if contract.score_type == "numeric":
        pattern = re.compile(contract.score_pattern or r"\[\[\s*(-?\d+(?:\.\d+)?)\s*\]\]")

        def parse_number(text: str) -> Parsed | None:
            match = pattern.search(text)
            raw = match.group(1) if match else text.strip()
            try:
                return float(raw)
            except ValueError:
                return None

        return parse_number
    mapping = contract.score_mapping or {"A": 1.0, "B": 0.0}
    if contract.score_pattern:
        label_pattern = re.compile(contract.score_pattern)
    else:
        alternatives = "|".join(re.escape(label) for label in sorted(mapping, key=len, reverse=True))
        label_pattern = re.compile(rf"(?<![\w])({alternatives})(?![\w])")

    def parse_label(text: str) -> Parsed | None:
        matches = [m.group(1) if m.groups() else m.group(0) for m in label_pattern.finditer(text)]
        return matches[-1] if matches and matches[-1] in mapping else None

    return parse_label


class JudgedScorer(BaseScorer):
    """Base of scorers that ask the run's judge; the engine opens a judge for any benchmark using one."""

    #: Tells the planner this scorer needs ``ctx.judge`` (and the judge's identity in the fingerprint).
    uses_judge: ClassVar[bool] = True

    @staticmethod
    def judge_of(ctx: ScoringContext | None) -> Judge:
        """The run's judge; a missing one is a wiring bug, not a user mistake."""
        judge = getattr(ctx, "judge", None)
        if not isinstance(judge, Judge):
            raise RuntimeError("a judged scorer ran without a judge in its ScoringContext")
        return judge

    async def ask(
        self, ctx: ScoringContext | None, prompt: str, parse: Any, *, system: str | None = None
    ) -> JudgeVerdict:
        """Ask the judge one question (one user turn, after ``system`` if given)."""
        messages = [ChatMessage(role="system", content=system)] if system else []
        messages.append(ChatMessage(role="user", content=prompt))
        return await self.judge_of(ctx).ask(messages, parse, scorer=self.name, version=self.version)

    def excluded(self, verdict: JudgeVerdict, extracted: str | None = None) -> Score:
        """A sample the judge could not decide: excluded with the judge's reason, replies kept."""
        return Score(
            status=SampleStatus.EXCLUDED,
            reason=verdict.reason,
            extracted=extracted,
            details={"judge": verdict.as_json()},
        )


@register_scorer("llm_judge")
class LLMJudgeScorer(JudgedScorer):
    """The generic judge (``judge_strategy: llm``): the contract's prompt and verdict format.

    ``pattern`` scores map the verdict label through ``score_mapping`` (A: 1, B: 0 by default);
    ``numeric`` scores are the judge's number. Options: ``prompt_template`` (the benchmark's own
    grading prompt, used when the user's contract gives none) and ``contract`` (set by the planner).
    """

    version = "1"
    supported_metrics = ("acc",)

    def __init__(self, metrics: Sequence[str] | None = None, **options: Any) -> None:
        super().__init__(metrics, **options)
        contract = options.get("contract") or JudgeContract()
        self.contract = contract if isinstance(contract, JudgeContract) else JudgeContract.model_validate(contract)
        default = DEFAULT_NUMERIC_TEMPLATE if self.contract.score_type == "numeric" else DEFAULT_PROMPT_TEMPLATE
        self.template: str = self.contract.prompt_template or options.get("prompt_template") or default
        self.parse = pattern_parser(self.contract)

    def settings(self) -> dict[str, Any]:
        return {"contract": self.contract.identity(), "template": self.template}

    async def score(self, sample: Sample, output: ModelOutput, ctx: ScoringContext) -> Score:
        prompt = fill_template(self.template, question=question_text(sample), gold=gold_text(sample), pred=output.text)
        verdict = await self.ask(ctx, prompt, self.parse, system=self.contract.system_prompt)
        if not verdict.ok:
            return self.excluded(verdict)
        value = verdict.value
        if self.contract.score_type == "pattern":
            mapping = self.contract.score_mapping or {"A": 1.0, "B": 0.0}
            value = mapping[str(value)]
        assert value is not None
        return Score(
            value=dict.fromkeys(self.metrics, float(value)),
            extracted=output.text,
            details={"judge": verdict.as_json()},
        )


class LLMRecallScorer(JudgedScorer):
    """``judge_strategy: llm_recall``: the rule scorer first; where it says wrong, the judge decides.

    Each metric's value is the larger of the rule's and the judge's, and the review keeps both
    (``details.rule`` and ``details.judge``). The judge sees the rule's extracted answer when there
    is one (else the whole reply), the gold answer, and the question, through the benchmark's recall
    prompt (math: simple-evals' equivalence check, answered Yes/No) or the contract's. A sample the
    judge cannot decide is excluded with the judge's reason rather than left at the rule's 0.

    Options: ``rule`` (the wrapped scorer instance), ``prompt_template`` and ``parse`` (``yes_no``
    or ``contract``), ``contract``.
    """

    name = "llm_recall"  # built by the planner around a rule scorer, so not in the scorer registry
    version = "1"
    supported_metrics: ClassVar[tuple[str, ...]] = ()

    def __init__(self, metrics: Sequence[str] | None = None, **options: Any) -> None:
        rule: Scorer = options.pop("rule")
        self.rule = rule
        self.metrics = tuple(rule.metrics)
        self.options = dict(options)
        contract = options.get("contract") or JudgeContract()
        self.contract = contract if isinstance(contract, JudgeContract) else JudgeContract.model_validate(contract)
        self.yes_no = options.get("parse") == "yes_no" and self.contract.prompt_template is None
        self.template: str = self.contract.prompt_template or options.get("prompt_template") or DEFAULT_PROMPT_TEMPLATE
        self.parse = parse_yes_no if self.yes_no else pattern_parser(self.contract)

    def value_keys(self) -> list[str]:
        return self.rule.value_keys()

    def settings(self) -> dict[str, Any]:
        return {
            "rule": scorer_identity([self.rule])[0],
            "contract": self.contract.identity(),
            "template": self.template,
            "yes_no": self.yes_no,
        }

    def _judge_value(self, verdict: JudgeVerdict) -> float:
        if self.yes_no:
            return 1.0 if verdict.value == "Yes" else 0.0
        if self.contract.score_type == "numeric":
            return float(verdict.value or 0.0)
        mapping = self.contract.score_mapping or {"A": 1.0, "B": 0.0}
        return mapping[str(verdict.value)]

    async def score(self, sample: Sample, output: ModelOutput, ctx: ScoringContext) -> Score:
        rule_score = await self.rule.score(sample, output, ctx)
        rule_json = rule_score.model_dump(mode="json", exclude_none=True, exclude={"details"})
        keys = self.value_keys()
        if rule_score.status is SampleStatus.SCORED and all(rule_score.value.get(k, 0.0) >= 1.0 for k in keys):
            return rule_score.model_copy(update={"details": {"rule": rule_json, "judge": None}})
        pred = rule_score.extracted if rule_score.extracted else output.text
        prompt = fill_template(self.template, question=question_text(sample), gold=gold_text(sample), pred=pred)
        system = None if self.yes_no else self.contract.system_prompt
        verdict = await self.ask(ctx, prompt, self.parse, system=system)
        if not verdict.ok:
            excluded = self.excluded(verdict, extracted=rule_score.extracted)
            return excluded.model_copy(update={"details": {"rule": rule_json, "judge": verdict.as_json()}})
        judged = self._judge_value(verdict)
        rule_values = rule_score.value if rule_score.status is SampleStatus.SCORED else {}
        values = {k: max(rule_values.get(k, 0.0), judged) for k in keys}
        return Score(
            value=values,
            extracted=rule_score.extracted,
            weights=rule_score.weights,
            explanation=rule_score.explanation,
            details={"rule": rule_json, "judge": verdict.as_json()},
        )
