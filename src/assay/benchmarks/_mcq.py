"""Multiple-choice family: EvalScope's MCQ prompts, few-shot format and letter extraction.

The prompt templates are EvalScope 1.x's, character for character
(``evalscope/utils/multi_choices.py``: ``SINGLE_ANSWER_TEMPLATE`` ...
``CHINESE_MULTIPLE_ANSWER_TEMPLATE_COT``, ``FEW_SHOT_TEMPLATE``), and so are the option layout
(``A) text``, one per line), the letter list (``A,B,C,D``) and the few-shot example format
(question, options, ``ANSWER: X``). Replies are read with
:func:`assay.scoring.extract.extract_choice`, which reproduces EvalScope's parser.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

from assay.benchmarks._base import BenchmarkAdapter, format_template
from assay.benchmarks._meta import BenchmarkMeta
from assay.errors import UserError
from assay.models import LoglikelihoodModel
from assay.scoring.extract import choice_label, extract_choice
from assay.types import GenerateConfig, ModelOutput, OptionScore, Sample, Score, Usage

FEW_SHOT_TEMPLATE = "Here are some examples of how to answer similar questions:\n\n{fewshot}\n\n"

SINGLE_ANSWER_TEMPLATE = (
    "Answer the following multiple choice question. The entire content of your response should be of the "
    "following format: 'ANSWER: [LETTER]' (without quotes) where [LETTER] is one of {letters}.\n\n"
    "{question}\n\n{choices}"
)

SINGLE_ANSWER_TEMPLATE_COT = (
    "Answer the following multiple choice question. The last line of your response should be of the "
    "following format: 'ANSWER: [LETTER]' (without quotes) where [LETTER] is one of {letters}. Think step "
    "by step before answering.\n\n{question}\n\n{choices}"
)

MULTIPLE_ANSWER_TEMPLATE = (
    "Answer the following multiple choice question where multiple answers may be correct. The entire "
    "content of your response should be of the following format: 'ANSWER: [LETTERS]' (without quotes) "
    "where [LETTERS] is one or more of {letters}.\n\n{question}\n\n{choices}"
)

MULTIPLE_ANSWER_TEMPLATE_COT = (
    "Answer the following multiple choice question where multiple answers may be correct. The last line "
    "of your response should be of the following format: 'ANSWER: [LETTERS]' (without quotes) where "
    "[LETTERS] is one or more of {letters}. Think step by step before answering.\n\n{question}\n\n{choices}"
)

CHINESE_SINGLE_ANSWER_TEMPLATE = (
    '回答下面的单项选择题，请选出其中的正确答案。你的回答的全部内容应该是这样的格式："答案：[LETTER]"（不带引号），'
    "其中 [LETTER] 是 {letters} 中的一个。\n\n问题：{question}\n选项：\n{choices}\n"
)

CHINESE_SINGLE_ANSWER_TEMPLATE_COT = (
    '回答下面的单项选择题，请选出其中的正确答案。你的回答的最后一行应该是这样的格式："答案：[LETTER]"（不带引号），'
    "其中 [LETTER] 是 {letters} 中的一个。请在回答前进行一步步思考。\n\n问题：{question}\n选项：\n{choices}\n"
)

# EvalScope's multiple-answer Chinese templates have a single newline before 问题 (the single-answer
# ones have two); kept as is so prompts stay identical.
CHINESE_MULTIPLE_ANSWER_TEMPLATE = (
    '回答下面的多项选择题，请选出其中的所有正确答案。你的回答的全部内容应该是这样的格式："答案：[LETTERS]"（不带引号），'
    "其中 [LETTERS] 是 {letters} 中的一个或多个。\n问题：{question}\n选项：\n{choices}\n"
)

CHINESE_MULTIPLE_ANSWER_TEMPLATE_COT = (
    '回答下面的多项选择题，请选出其中的所有正确答案。你的回答的最后一行应该是这样的格式："答案：[LETTERS]"（不带引号），'
    "其中 [LETTERS] 是 {letters} 中的一个或多个。请在回答前进行一步步思考。"
    "\n\n问题：{question}\n选项：\n{choices}\n"
)


#: ``extra_params.choice_scoring``: ``generate`` (the model writes ``ANSWER: X``, EvalScope's way), or
#: pick the option whose text the model finds most likely as its reply, by summed log-probability
#: (``loglikelihood``) or per token (``loglikelihood_norm``). Local checkpoints only.
CHOICE_SCORING_MODES = ("generate", "loglikelihood", "loglikelihood_norm")
#: Declared by every multiple-choice benchmark (``extra_params`` keys must be declared to be set).
CHOICE_SCORING_PARAMS: dict[str, Any] = {"choice_scoring": "generate"}
CHOICE_SCORING_HELP = {
    "choice_scoring": "'generate' (default: the model writes 'ANSWER: X'), or, for local checkpoints "
    "(eval_type llm_ckpt), 'loglikelihood' / 'loglikelihood_norm': pick the option whose text is the "
    "most likely reply, by summed or per-token log-probability; both are recorded per option in the review."
}


def format_options(choices: list[str]) -> str:
    """Options one per line as ``A) text`` (EvalScope's ``answer_options``)."""
    return "\n".join(f"{choice_label(i)}) {text}" for i, text in enumerate(choices))


def format_letters(count: int) -> str:
    """Valid labels joined by commas, ``A,B,C,D`` (EvalScope's ``format_letter_choices``)."""
    return ",".join(choice_label(i) for i in range(count))


class MultipleChoiceAdapter(BenchmarkAdapter):
    """Base for benchmarks whose samples have ``choices`` and a letter target.

    Subclasses implement only ``record_to_sample`` (question as ``input``, option texts as
    ``choices``, ``"A"``-style ``target``; a list of letters when several are correct).
    """

    supported_metrics: ClassVar[tuple[str, ...]] = ("acc", "multi_choice_acc")
    template_fields: ClassVar[frozenset[str]] = frozenset({"question", "choices", "letters", "fewshot"})
    required_template_fields: ClassVar[frozenset[str]] = frozenset({"question", "choices"})
    few_shot_header: ClassVar[str | None] = FEW_SHOT_TEMPLATE

    @property
    def multiple_correct(self) -> bool:
        """Whether a question may have several correct options (``extra_params.multiple_correct``)."""
        return bool(self.meta.extra_params.get("multiple_correct", False))

    @property
    def choice_scoring(self) -> str:
        """How an option is chosen: one of :data:`CHOICE_SCORING_MODES`."""
        return str(self.meta.extra_params.get("choice_scoring", "generate"))

    @classmethod
    def finalize_meta(cls, meta: BenchmarkMeta, given: frozenset[str]) -> BenchmarkMeta:
        mode = meta.extra_params.get("choice_scoring", "generate")
        if mode not in CHOICE_SCORING_MODES:
            raise UserError(
                f"extra_params.choice_scoring for {meta.name} must be one of {', '.join(CHOICE_SCORING_MODES)}, "
                f"got {mode!r}"
            )
        if mode != "generate" and meta.extra_params.get("multiple_correct"):
            raise UserError(f"{meta.name}: choice_scoring {mode!r} picks one option; it cannot score multiple_correct")
        return super().finalize_meta(meta, given)

    def generate_config(self, base: GenerateConfig) -> GenerateConfig:
        if self.choice_scoring == "generate":
            return base
        # Recorded with the sampling settings so a cached generated answer is never reused here.
        settings = base.model_dump(exclude_none=True)
        return GenerateConfig.model_validate({**settings, "choice_scoring": self.choice_scoring})

    async def answer_by_loglikelihood(self, model: object, sample: Sample) -> ModelOutput | None:
        if self.choice_scoring == "generate":
            return None
        if not isinstance(model, LoglikelihoodModel):
            raise UserError(
                f"{self.meta.name}: choice_scoring {self.choice_scoring!r} needs a backend that scores "
                f"log-likelihoods (eval_type llm_ckpt); {type(model).__name__} only generates"
            )
        assert sample.choices is not None
        start = time.perf_counter()
        scored = await model.loglikelihood(sample.input, list(sample.choices))
        options = [
            OptionScore(label=choice_label(i), logprob=lp, tokens=n, logprob_per_token=lp / max(n, 1))
            for i, (lp, n) in enumerate(scored)
        ]
        normalised = self.choice_scoring == "loglikelihood_norm"
        best = max(options, key=lambda o: o.logprob_per_token if normalised else o.logprob)
        return ModelOutput(
            text=f"ANSWER: {best.label}",
            finish_reason="stop",
            usage=Usage(completion_tokens=sum(o.tokens for o in options), total_tokens=sum(o.tokens for o in options)),
            latency_s=time.perf_counter() - start,
            option_scores=options,
        )

    @property
    def answer_in_chinese(self) -> bool:
        """Read ``答案：X`` instead of ``ANSWER: X``.

        EvalScope switches parsers only for its four Chinese templates; we switch whenever the
        template asks for ``答案`` (the same choice for every built-in template, and the right one
        for a user's own Chinese template, which EvalScope would parse for ``ANSWER:``).
        """
        return "答案" in self.meta.prompt_template

    def format_prompt(self, sample: Sample, fewshot: str | None) -> str:
        assert isinstance(sample.input, str) and sample.choices is not None
        values = {
            "question": sample.input,
            "choices": format_options(sample.choices),
            "letters": format_letters(len(sample.choices)),
        }
        if fewshot:
            template = self.meta.few_shot_prompt_template or (FEW_SHOT_TEMPLATE + self.meta.prompt_template)
            return format_template(template, "few_shot_prompt_template", self.meta.name, fewshot=fewshot, **values)
        return format_template(self.meta.prompt_template, "prompt_template", self.meta.name, **values)

    def sample_to_fewshot(self, sample: Sample) -> str:
        assert sample.choices is not None
        answer = "".join(sample.target) if isinstance(sample.target, list) else sample.target
        return f"{sample.input}\n{format_options(sample.choices)}\nANSWER: {answer}"

    def scoring_settings(self) -> dict[str, Any]:
        return {"chinese": self.answer_in_chinese, "multiple_correct": self.multiple_correct}

    async def score_answer(self, answer: str, sample: Sample) -> Score:
        assert sample.choices is not None
        # A few regexes: cheap enough to run on the event loop.
        extracted = extract_choice(
            answer, len(sample.choices), chinese=self.answer_in_chinese, multiple=self.multiple_correct
        )
        if extracted is None:
            return self.zero_score(explanation="no option letter found in the reply")
        gold = sample.target if isinstance(sample.target, list) else [sample.target]
        values = {metric: _option_metric(metric, extracted, gold) for metric in self.meta.metric_list}
        return Score(value=values, extracted=extracted)


def _option_metric(metric: str, extracted: str, gold: list[str]) -> float:
    if metric == "multi_choice_acc":
        # EvalScope: any wrong pick scores 0; otherwise partial credit for the share of golds picked.
        picked, correct = set(extracted.upper()), set("".join(gold).upper())
        if not correct or not picked <= correct:
            return 0.0
        return len(picked) / len(correct)
    # "acc": exact match after trimming and lower-casing both sides (EvalScope's normalize_text).
    return float(extracted.strip().lower() == "".join(gold).strip().lower())
