"""Multiple-choice family: EvalScope's MCQ prompts, few-shot format and letter extraction.

The prompt templates are EvalScope 1.x's, character for character
(``evalscope/utils/multi_choices.py``: ``SINGLE_ANSWER_TEMPLATE`` ...
``CHINESE_MULTIPLE_ANSWER_TEMPLATE_COT``, ``FEW_SHOT_TEMPLATE``), and so are the option layout
(``A) text``, one per line), the letter list (``A,B,C,D``) and the few-shot example format
(question, options, ``ANSWER: X``). Replies are scored by the ``choice`` scorer (EvalScope's parser,
:func:`assay.scoring.extract.extract_choice`), or, with ``extra_params.choice_scoring`` set to a
log-likelihood mode, the engine sends a log-likelihood request and the ``option_loglikelihood``
scorer picks the likeliest option.
"""

from __future__ import annotations

from typing import Any, ClassVar

from assay.benchmarks._base import BenchmarkAdapter, format_template
from assay.benchmarks._meta import BenchmarkMeta
from assay.errors import UserError
from assay.scoring.extract import choice_label
from assay.types import RequestKind, Sample

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
#: (``loglikelihood``) or per token (``loglikelihood_norm``). Needs a backend that computes
#: log-likelihoods (local checkpoints; server APIs do not return prompt log-probabilities).
CHOICE_SCORING_MODES = ("generate", "loglikelihood", "loglikelihood_norm")
#: Declared by every multiple-choice benchmark (``extra_params`` keys must be declared to be set).
CHOICE_SCORING_PARAMS: dict[str, Any] = {"choice_scoring": "generate"}
CHOICE_SCORING_HELP = {
    "choice_scoring": "'generate' (default: the model writes 'ANSWER: X'), or, for backends that compute "
    "log-likelihoods (local checkpoints), 'loglikelihood' / 'loglikelihood_norm': pick the option whose text "
    "is the most likely reply, by summed or per-token log-probability; both are recorded per option in the review."
}


def format_options(choices: list[str]) -> str:
    """Options one per line as ``A) text`` (EvalScope's ``answer_options``)."""
    return "\n".join(f"{choice_label(i)}) {text}" for i, text in enumerate(choices))


def format_letters(count: int) -> str:
    """Valid labels joined by commas, ``A,B,C,D`` (EvalScope's ``format_letter_choices``)."""
    return ",".join(choice_label(i) for i in range(count))


def choice_or_open_prompt(meta: BenchmarkMeta, sample: Sample) -> str:
    """EvalScope's prompt for benchmarks that mix both kinds of item (MMMU, MathVista): the
    chain-of-thought multiple-choice template for an item with options, else ``meta.prompt_template``
    (the open-question prompt) filled with the question alone."""
    assert isinstance(sample.input, str)
    if sample.choices is None:
        return format_template(meta.prompt_template, "prompt_template", meta.name, question=sample.input)
    return format_template(
        SINGLE_ANSWER_TEMPLATE_COT,
        "the multiple-choice prompt",
        meta.name,
        question=sample.input,
        choices=format_options(sample.choices),
        letters=format_letters(len(sample.choices)),
    )


class MultipleChoiceAdapter(BenchmarkAdapter):
    """Base for benchmarks whose samples have ``choices`` and a letter target.

    Subclasses implement only ``record_to_sample`` (question as ``input``, option texts as
    ``choices``, ``"A"``-style ``target``; a list of letters when several are correct).
    """

    default_scorers: ClassVar[dict[str, str]] = {"acc": "choice", "multi_choice_acc": "choice"}
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
        if mode != "generate":
            if meta.extra_params.get("multiple_correct"):
                raise UserError(
                    f"{meta.name}: choice_scoring {mode!r} picks one option; it cannot score multiple_correct"
                )
            # No reply text to read: the options' log-likelihoods decide, whatever metric is asked for.
            meta = meta.with_overrides({"scorers": dict.fromkeys(meta.scorers, "option_loglikelihood")})
        return super().finalize_meta(meta, given)

    def request_kind(self) -> RequestKind:
        return RequestKind.GENERATE if self.choice_scoring == "generate" else RequestKind.LOGLIKELIHOOD

    def scorer_options(self) -> dict[str, dict[str, Any]]:
        return {
            "choice": {"chinese": self.answer_in_chinese, "multiple": self.multiple_correct},
            "option_loglikelihood": {"normalized": self.choice_scoring == "loglikelihood_norm"},
        }

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
