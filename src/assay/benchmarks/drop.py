"""DROP: discrete reasoning over paragraphs, scored with the official DROP EM and F1.

* **Prompt** (EvalScope 1.x ``drop_adapter.py``): ``You will be asked to read a passage and answer a
  question. {drop_examples}\\n# Your Task\\n\\n---\\n{query}\\n\\nThink step by step, then write a line of
  the form "Answer: [ANSWER]" at the end of your response.``, where ``query`` is ``Passage: ...\\nQuestion:
  ...``.
* **Few-shot**: 0 or 3 (default). The 3 examples are EvalScope's fixed ``DROP_EXAMPLES`` text (three
  train passages), not drawn from a split; 0-shot leaves ``{drop_examples}`` empty.
* **Extraction**: the text after the last ``Answer:`` (any case) up to its line end; the whole reply
  when there is none.
* **Metric**: the official DROP scorer (``drop_eval.py`` of allenai, as EvalScope ports it): answers are
  normalised token by token (lower case, punctuation and articles removed unless the token is a number,
  numbers rewritten as floats so ``2`` equals ``2.0``); ``em`` needs the same set of normalised spans,
  ``f1`` aligns predicted and gold spans one to one (a span pair with gold numbers scores 0 unless a
  number is shared) and averages the bag-of-words F1, rounded to 2 decimals. The reply is one span; gold
  answers are ``answer`` plus every ``validated_answers`` entry (numbers, multi-span lists, or dates
  ``day month year``), and each metric takes its best value over them. ``f1`` is listed first so it is
  the headline score, as EvalScope's ``primary_metric``.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from assay.benchmarks._base import BenchmarkAdapter, DataSpec, LocalFile, format_template
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._registry import register_benchmark
from assay.scoring.scorer import BaseScorer, register_scorer
from assay.types import ModelOutput, Sample, Score

if TYPE_CHECKING:
    from assay.scoring.context import ScoringContext

PROMPT_TEMPLATE = (
    "You will be asked to read a passage and answer a question. {drop_examples}\n# Your Task\n\n---\n{query}\n\n"
    'Think step by step, then write a line of the form "Answer: [ANSWER]" at the end of your response.'
)

#: EvalScope allows exactly these few-shot counts: none, or its three fixed examples.
ALLOWED_FEW_SHOT_NUMS = (0, 3)

DROP_EXAMPLES = (
    "Some examples of passages and Q&A are provided below.\n"
    "\n"
    "# Examples\n"
    "---\n"
    "Passage: Trunajaya rebellion  or Trunajaya War was the ultimately unsuccessful rebellion waged by "
    "the Madurese prince Trunajaya and fighters from Makassar against the Mataram Sultanate and its "
    "Dutch East India Company  supporters in Java  during the 1670s. The rebellion was initially "
    "successful: the rebels defeated the royal army at Gegodog , captured most of the Javanese north "
    "coast, and took the Mataram capital Plered . King Amangkurat I died during the retreat of the royal "
    "court. His son and successor, Amangkurat II, requested help from the VOC in exchange for financial "
    "remuneration and geopolitical concessions. The VOC's subsequent involvement turned the tide of the "
    "war. VOC and Mataram forces recovered lost territories and overran Trunajaya's new capital at "
    "Kediri . However, the rebellion continued until the capture of Trunajaya at the end of 1679, and "
    "the defeat, death, or surrender of the other rebel leaders . Trunajaya was killed by Amangkurat II "
    "personally in 1680 while a prisoner of the VOC. After his father's death in 1677, Amangkurat II "
    "also faced rival claims to the throne. The most serious rival was his brother Pangeran Puger, who "
    "took the capital Plered in 1677 and did not surrender until 1681.\n"
    "Question: How many years was it between Trunajaya's capture and his death while prisoner of the "
    "VOC?\n"
    "Answer:  1\n"
    "\n"
    "---\n"
    "Passage: Led by former Giant Kurt Warner, the defending NFC champions took the field at Giants "
    "Stadium against a Giants team still reeling from their bad loss in New Orleans. The Giants scored "
    "first, sending Jacobs in for a 4-yard touchdown run following a Terrell Thomas interception. Later, "
    "Arizona running back Beanie Wells scored his first career touchdown on a 13-yard rush. Manning "
    "responded by throwing a 62-yard touchdown to Nicks for his longest reception of the year. In the "
    "second half, the Cardinals' Tim Hightower and Jason Wright scored touchdowns. But it was turnovers "
    "that decided this game; Manning's 3 interceptions were as many as he had thrown all season. The "
    "Giants scored only 3 points in the second half, ending the game on an interception to Antrel Rolle. "
    "The Giants notable streak of 38 consecutive starts by the same offensive line unit was ended here, "
    "as offensive tackle Kareem McKenzie missed the game with a groin injury. McKenzie returned the "
    "following week.\n"
    "Question: Which player made the first score of the game?\n"
    "Answer:  Jacobs\n"
    "\n"
    "---\n"
    "Passage: Hoping to rebound from their road loss to the Bills, the Chargers flew to Wembley Stadium "
    "for the 2008 International Series game with the New Orleans Saints. In the first quarter, San Diego "
    "trailed early as kicker Taylor Mehlhaff got a 23-yard field goal.  The 'Bolts would respond with "
    "kicker Nate Kaeding getting a 33-yard field goal.  In the second quarter, New Orleans regained the "
    "lead as QB Drew Brees (a former Charger) completed a 12-yard TD pass to WR Devery Henderson (with a "
    "failed PAT) and RB Deuce McAllister getting a 1-yard TD run.  San Diego answered as QB Philip "
    "Rivers completed a 12-yard TD pass to RB LaDainian Tomlinson, but the Saints replied with Brees "
    "completing a 30-yard TD pass to WR Lance Moore.  The Chargers closed out the half with Rivers "
    "completing a 12-yard TD pass to TE Antonio Gates. In the third quarter, New Orleans increased its "
    "lead Brees completing a 1-yard TD pass to TE Mark Campbell, after a very controversial Pass "
    "interference call on cornerback Cletis Gordon put the Saints on the 1-yard line.  The 'Bolts would "
    "answer with Kaeding getting a 24-yard field goal.  In the fourth quarter, the Saints continued to "
    "build its lead as FB Mike Karney got a 1-yard TD run.  San Diego tried to rally as Kaeding nailed a "
    "31-yard field goal, Rivers completed a 14-yard TD pass to WR Vincent Jackson, and Brees giving the "
    "'Bolts a safety via an incomplete pass thrown into the back of his own endzone.  However, New "
    "Orleans' defense stiffened for the win. With the loss, the Chargers went into their bye week at "
    "3-5.\n"
    "Question: How many total yards of touchdown passes did Drew Brees make?\n"
    "Answer:  43\n"
    "\n"
)

_ANSWER_LINE = re.compile(r"(?i)Answer\s*:\s*([^\n]+)")
_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCTUATION = frozenset(string.punctuation)

#: One gold answer: its spans (a number or a date is a single span).
GoldAnswer = tuple[str, ...]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _normalize_token(token: str) -> str:
    token = token.lower()
    if not _is_number(token):
        token = "".join(ch for ch in token if ch not in _PUNCTUATION)
    if _is_number(token):
        token = str(float(token))
    return " ".join(_ARTICLES.sub(" ", token).split())


def normalize_span(span: str) -> str:
    """A span as the official scorer compares it.

    Example:
        >>> normalize_span("The 2 touch-downs.")
        '2.0 touch downs'
    """
    tokens = (_normalize_token(token) for token in re.split(" |-", span))
    return " ".join(token for token in tokens if token.strip()).strip()


def _bags(spans: Sequence[str]) -> tuple[list[str], list[set[str]]]:
    normalized = [normalize_span(span) for span in spans]
    return normalized, [set(span.split()) for span in normalized]


def _bag_f1(predicted: set[str], gold: set[str]) -> float:
    shared = len(gold & predicted)
    precision = shared / len(predicted) if predicted else 1.0
    recall = shared / len(gold) if gold else 1.0
    if precision == 0.0 and recall == 0.0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


def _numbers_agree(gold: set[str], predicted: set[str]) -> bool:
    gold_numbers = {word for word in gold if _is_number(word)}
    return not gold_numbers or bool(gold_numbers & {word for word in predicted if _is_number(word)})


def _aligned_f1(predicted: set[str], gold: list[set[str]]) -> float:
    """Mean F1 of the best one-to-one pairing of the predicted span with the gold spans.

    Upstream pairs span lists with SciPy's ``linear_sum_assignment``; with a single predicted span
    (a reply is always one) the optimum pairs it with its best gold span, and every other gold span
    scores 0 in the mean.
    """
    scores = [_bag_f1(predicted, g) if _numbers_agree(g, predicted) else 0.0 for g in gold]
    return max(scores, default=0.0) / max(len(gold), 1)


def _round_2(value: float) -> float:
    """``round(np.float64, 2)`` as upstream computes it: scale, round half to even, unscale."""
    return round(value * 100) / 100


def drop_em_f1(prediction: str, golds: Sequence[GoldAnswer]) -> tuple[float, float]:
    """Best EM and F1 of one predicted span against the gold answers, as the official scorer computes them.

    Golds whose first span is blank are skipped, as upstream does.

    Example:
        >>> drop_em_f1("2 touchdowns", [("2",)])
        (0.0, 0.67)
    """
    predicted_spans, predicted_bags = _bags([prediction])
    best_em, best_f1 = 0.0, 0.0
    for gold in golds:
        if not gold or not gold[0].strip():
            continue
        gold_spans, gold_bags = _bags(gold)
        em = float(set(predicted_spans) == set(gold_spans) and len(predicted_spans) == len(gold_spans))
        f1 = _round_2(_aligned_f1(predicted_bags[0], gold_bags))
        best_em, best_f1 = max(best_em, em), max(best_f1, f1)
    return best_em, best_f1


def _parse_answer(answer: Mapping[str, Any]) -> GoldAnswer:
    number = answer.get("number", "")
    if number not in ("", None):
        return (str(number),)
    spans = answer.get("spans") or []
    if len(spans) > 0:
        return tuple(str(span) for span in spans)
    date = answer.get("date") or {}
    return (" ".join([str(date.get("day", "")), str(date.get("month", "")), str(date.get("year", ""))]).strip(),)


def _validated_answers(validated: Any) -> list[Mapping[str, Any]]:
    """Validated answers as a list of answer dicts.

    The hub's ``datasets`` library gives them column-wise (``{"number": [...], "spans": [...], ...}``),
    Parquet and JSON readers row-wise; columns are zipped up to the shortest, as EvalScope does.
    """
    if isinstance(validated, Mapping):
        columns = [list(validated.get(key) or []) for key in ("number", "date", "spans")]
        return [{"number": n, "date": d, "spans": s} for n, d, s in zip(*columns, strict=False)]
    return list(validated or [])


def gold_answers(record: Mapping[str, Any]) -> list[GoldAnswer]:
    """``answer`` then each validated answer, parsed and de-duplicated in order."""
    answers: list[GoldAnswer] = []
    for candidate in [record["answer"], *_validated_answers(record.get("validated_answers"))]:
        parsed = _parse_answer(candidate)
        if parsed not in answers:
            answers.append(parsed)
    return answers


def extract_answer(reply: str) -> str:
    """Text after the last ``Answer:`` line marker, else the whole reply."""
    matches = _ANSWER_LINE.findall(reply)
    return str(matches[-1]) if matches else reply


def snapshot_files(root: Path, subset: str, split: str) -> list[LocalFile]:
    """A snapshot of EleutherAI/drop holds ``drop_<split>.parquet`` at its root."""
    return [LocalFile(root / f"drop_{split}{suffix}") for suffix in (".parquet", ".jsonl")]


@register_benchmark(
    BenchmarkMeta(
        name="drop",
        pretty_name="DROP",
        description=(
            "DROP (Discrete Reasoning Over Paragraphs) asks questions about Wikipedia and NFL passages that "
            "need counting, arithmetic, sorting or comparison; answers are numbers, dates or one or more "
            "text spans. By default the model sees 3 fixed worked examples, reasons step by step and ends "
            "with 'Answer: ...'; the answer is scored with the official DROP exact match and F1 against "
            "every validated gold answer, F1 being the headline score."
        ),
        tags=["reasoning", "reading-comprehension"],
        paper_url="https://arxiv.org/abs/1903.00161",
        version="1",
        dataset_id="EleutherAI/drop",
        modelscope_dataset_id="AI-ModelScope/DROP",
        homepage="https://allenai.org/data/drop",
        license="CC-BY-SA-4.0",  # hub card of the original ucinlp/drop (EleutherAI/drop's card says CC-BY-4.0)
        # Validation size not declared: ucinlp/drop lists 9,535 and the EleutherAI copy could not be
        # counted offline.
        example=BenchmarkExample(
            record={
                "section_id": "nfl_1",
                "query_id": "q-number",
                "passage": "The Giants scored 3 touchdowns and 2 field goals.",
                "question": "How many field goals did the Giants score?",
                "answer": {
                    "number": "2",
                    "date": {"day": "", "month": "", "year": ""},
                    "spans": [],
                    "worker_id": "",
                    "hit_id": "",
                },
                "validated_answers": {"number": [], "date": [], "spans": [], "worker_id": [], "hit_id": []},
            },
            source="illustrative record in the EleutherAI/drop schema (tests fixtures), not from the dataset",
        ),
        local_layout=(
            "a snapshot of EleutherAI/drop (<dir>/drop_validation.parquet), or hub-style "
            "<dir>/validation.jsonl|parquet (or <dir>/default/validation.*), with records "
            "{passage, question, answer: {number, date: {day, month, year}, spans}, validated_answers}"
        ),
        available_subsets=["default"],
        subset_list=["default"],
        eval_split="validation",
        few_shot_num=3,
        prompt_template=PROMPT_TEMPLATE,
        metric_list=["f1", "em"],
    )
)
class DROPAdapter(BenchmarkAdapter):
    """DROP records to samples whose target is the list of gold answers; official EM/F1 scoring."""

    data: ClassVar[DataSpec] = DataSpec(upstream=snapshot_files)
    default_scorers: ClassVar[dict[str, str]] = {"f1": "drop_em_f1", "em": "drop_em_f1"}
    template_fields: ClassVar[frozenset[str]] = frozenset({"drop_examples", "query"})
    required_template_fields: ClassVar[frozenset[str]] = frozenset({"query"})

    allowed_few_shot_nums: ClassVar[tuple[int, ...] | None] = ALLOWED_FEW_SHOT_NUMS
    few_shot_examples: ClassVar[str] = "its fixed examples"

    def fewshot_text(self, subset: str) -> str | None:
        # The examples are a fixed text, not records of a train split.
        return DROP_EXAMPLES if self.meta.few_shot_num else None

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        golds = gold_answers(record)
        return Sample(
            id=str(record.get("query_id") or f"{subset}-{index}"),
            input=str(record["question"]),
            target=[" | ".join(gold) for gold in golds],
            subset=subset,
            metadata={"passage": str(record["passage"]), "gold_answers": [list(gold) for gold in golds]},
        )

    def format_prompt(self, sample: Sample, fewshot: str | None) -> str:
        assert isinstance(sample.input, str)
        query = f"Passage: {sample.metadata['passage']}\nQuestion: {sample.input}"
        return format_template(
            self.meta.prompt_template, "prompt_template", self.meta.name, drop_examples=fewshot or "", query=query
        )


@register_scorer("drop_em_f1")
class DropScorer(BaseScorer):
    """The official DROP EM and F1 of the reply's last ``Answer:`` line against every gold answer."""

    version = "1"
    supported_metrics = ("f1", "em")

    def settings(self) -> dict[str, Any]:
        return {"extractor": "last_answer_line", "compare": "official_drop_em_f1"}

    async def score(self, sample: Sample, output: ModelOutput, ctx: ScoringContext) -> Score:
        extracted = extract_answer(output.text)
        golds = [tuple(gold) for gold in sample.metadata["gold_answers"]]
        em, f1 = drop_em_f1(extracted, golds)
        values = {"em": em, "f1": f1}
        return Score(value={name: values[name] for name in self.metrics}, extracted=extracted or None)
