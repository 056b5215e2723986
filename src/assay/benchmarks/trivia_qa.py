"""TriviaQA (rc.wikipedia): trivia questions answered from Wikipedia evidence, scored against aliases.

* **Prompt** (EvalScope 1.x ``trivia_qa_adapter.py``): ``Read the content and answer the following
  question.\\n\\nContent: {content}\\n\\nQuestion: {question}\\n\\nThe last line of your response should be
  of the form "ANSWER: [ANSWER]" ...``. ``content`` is the record's ``entity_pages.wiki_context`` written
  as EvalScope writes it: the hub gives a list of articles, which Python's ``str`` renders as a list
  literal (``['First article ...', 'Second ...']``).
* **Few-shot**: none (EvalScope: 0-shot, no train split).
* **Extraction**: the text after the last ``ANSWER:`` marker (any case, inside or around ``**bold**``)
  up to its line end, else the whole reply; then the official TriviaQA normalisation (lower case,
  ``_`` and punctuation including ``‘’´``` to spaces, articles removed, whitespace collapsed).
* **Metric**: ``acc``: 1 when the normalised answer is non-empty and equals, after trimming and lower
  casing, one of the answer's ``aliases`` or ``normalized_aliases`` (EvalScope's ``acc`` with
  ``allow_inclusion``).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from assay.benchmarks._base import BenchmarkAdapter, format_template
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._registry import register_benchmark
from assay.scoring.scorer import BaseScorer, register_scorer
from assay.types import ModelOutput, Sample, Score

if TYPE_CHECKING:
    from assay.scoring.context import ScoringContext

PROMPT_TEMPLATE = (
    "Read the content and answer the following question.\n\nContent: {content}\n\nQuestion: {question}\n\n"
    'The last line of your response should be of the form "ANSWER: [ANSWER]" (without quotes) where [ANSWER] '
    "is the answer to the problem.\n"
)

#: Characters the official evaluation (``triviaqa_evaluation.py``) turns into spaces.
_PUNCTUATION = frozenset(string.punctuation + "‘’´`")
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_ANSWER_MARKER = re.compile(r"(?i)ANSWER\s*:\s*\**\s*")


def normalize_answer(text: str) -> str:
    """An answer as the official TriviaQA evaluation normalises it (``normalized_aliases`` form).

    Example:
        >>> normalize_answer("The Sunset Blvd.")
        'sunset blvd'
    """
    text = "".join(" " if ch in _PUNCTUATION else ch for ch in text.replace("_", " ").lower())
    return " ".join(_ARTICLES.sub(" ", text).split())


def extract_answer(reply: str) -> str:
    """The normalised text after the last ``ANSWER:`` marker, or the whole normalised reply.

    Example:
        >>> extract_answer("It is in LA.\\n**ANSWER: Sunset Boulevard**")
        'sunset boulevard'
    """
    markers = list(_ANSWER_MARKER.finditer(reply))
    if markers:
        reply = reply[markers[-1].end() :].split("\n", 1)[0].strip().strip("*").strip()
    return normalize_answer(reply)


def _wiki_context(entity_pages: Any) -> Any:
    """``entity_pages.wiki_context`` as the hub's ``datasets`` library gives it (a list of articles).

    Parquet and JSON readers give ``entity_pages`` row-wise (a list of page dicts); the column is
    rebuilt so the prompt is the same whichever way the data was read.
    """
    if isinstance(entity_pages, Mapping):
        return entity_pages["wiki_context"]
    return [page["wiki_context"] for page in entity_pages]


@register_benchmark(
    BenchmarkMeta(
        name="trivia_qa",
        pretty_name="TriviaQA",
        description=(
            "TriviaQA (reading-comprehension, Wikipedia evidence): trivia questions written by enthusiasts, "
            "each shown with its Wikipedia evidence articles. The model answers 0-shot and ends with "
            "'ANSWER: ...'; the answer is normalised as the official TriviaQA evaluation does and counted "
            "correct when it equals one of the gold answer's aliases."
        ),
        tags=["qa", "reading-comprehension"],
        paper_url="https://arxiv.org/abs/1705.03551",
        version="1",
        dataset_id="mandarjoshi/trivia_qa",
        modelscope_dataset_id="evalscope/trivia_qa",
        homepage="http://nlp.cs.washington.edu/triviaqa/",
        license=None,  # the mandarjoshi/trivia_qa hub card says 'unknown'
        sample_counts={"rc.wikipedia": 7993},  # rc.wikipedia validation (hub discussion #1; GPT-3 paper Table C.1)
        example=BenchmarkExample(
            record={
                "question": "Who was the man behind The Chipmunks?",
                "question_id": "tc_2",
                "entity_pages": {
                    "doc_source": ["TagMe"],
                    "filename": ["0.txt"],
                    "title": ["Title 0"],
                    "wiki_context": ["Ross Bagdasarian."],
                },
                "answer": {"aliases": ["David Seville"], "normalized_aliases": ["david seville"]},
            },
            source="illustrative rc.wikipedia record (tests/benchmarks/fixtures.py), not from the dataset",
        ),
        local_layout=(
            "hub-style <dir>/rc.wikipedia/validation.jsonl|parquet (or <dir>/validation.*) with the "
            "mandarjoshi/trivia_qa columns question, question_id, entity_pages.wiki_context and "
            "answer.aliases / answer.normalized_aliases"
        ),
        available_subsets=["rc.wikipedia"],
        subset_list=["rc.wikipedia"],
        eval_split="validation",
        prompt_template=PROMPT_TEMPLATE,
        metric_list=["acc"],
    )
)
class TriviaQAAdapter(BenchmarkAdapter):
    """TriviaQA records to samples whose target is every alias of the answer."""

    default_scorers: ClassVar[dict[str, str]] = {"acc": "trivia_qa_match"}
    template_fields: ClassVar[frozenset[str]] = frozenset({"content", "question"})
    required_template_fields: ClassVar[frozenset[str]] = frozenset({"question"})

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        answer = record["answer"]
        aliases = [str(alias) for alias in [*answer["aliases"], *answer["normalized_aliases"]]]
        return Sample(
            id=str(record.get("question_id") or f"{subset}-{index}"),
            input=str(record["question"]),
            target=aliases,
            subset=subset,
            metadata={"content": str(_wiki_context(record["entity_pages"]))},
        )

    def format_prompt(self, sample: Sample, fewshot: str | None) -> str:
        assert isinstance(sample.input, str)
        return format_template(
            self.meta.prompt_template,
            "prompt_template",
            self.meta.name,
            content=sample.metadata["content"],
            question=sample.input,
        )


@register_scorer("trivia_qa_match")
class TriviaQAScorer(BaseScorer):
    """The normalised last answer line, matched exactly against every alias of the gold answer."""

    version = "1"
    supported_metrics = ("acc",)

    def settings(self) -> dict[str, Any]:
        return {"extractor": "last_answer_line_triviaqa_normalized", "compare": "alias_exact_match"}

    async def score(self, sample: Sample, output: ModelOutput, ctx: ScoringContext) -> Score:
        extracted = extract_answer(output.text)
        if not extracted:
            return self.zero(explanation="no answer found in the reply")
        aliases = sample.target if isinstance(sample.target, list) else [sample.target]
        correct = any(extracted == alias.strip().lower() for alias in aliases)
        return self.scored(float(correct), extracted=extracted)
