"""General-QA: the user's own open questions, scored against reference answers with BLEU and ROUGE.

Format as in EvalScope (``evalscope/benchmarks/general_qa/general_qa_adapter.py``): JSONL (or
CSV/JSON/Parquet) at ``<local_path>/<subset>.jsonl`` or ``<subset>_test.jsonl``; each record has
``query`` or ``question``, ``response`` or ``answer`` (the reference), and optionally ``system``
(a system prompt for that record) or ``messages`` (a whole chat, used as the input instead of
``query``).

EvalScope declares the prompt template ``请回答问题\\n{question}`` but never applies it: the query is
sent as is. We send it as is too (our default template is ``{question}``), but a ``prompt_template``
the user gives *is* applied (EvalScope silently ignores it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from assay.benchmarks._base import DataSpec
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._qa import QuestionAnswerAdapter
from assay.benchmarks._registry import register_benchmark
from assay.errors import UserError
from assay.types import ChatMessage, Sample

#: The report's headline score (EvalScope 1.14's ``primary_metric``: ROUGE-L recall, mean).
HEADLINE_KEY = "Rouge-L-R"
_ROLES = ("system", "user", "assistant")


@register_benchmark(
    BenchmarkMeta(
        name="general_qa",
        pretty_name="General-QA",
        description=(
            "General-QA evaluates open-ended answers to your own questions from local JSONL files in "
            "EvalScope's format (query/question, response/answer, optional system or messages). Zero-shot; "
            "each answer is compared with its reference by BLEU-1..4 and ROUGE-1/2/L recall, precision and "
            "F1, ROUGE-L recall being the main score as in EvalScope."
        ),
        tags=["qa", "custom"],
        version="1",
        dataset_id="general_qa",
        license=None,  # your own data
        example=BenchmarkExample(
            record={"query": "中国的首都是哪里？", "response": "中国的首都是北京"},
            source="the example of EvalScope's custom-dataset guide (general_qa format)",
        ),
        local_layout=(
            "<local_path>/<subset>.jsonl or <subset>_test.jsonl with 'query' (or 'question') and 'response' "
            "(or 'answer'), optional 'system', or 'messages' as a list of {role, content}"
        ),
        subset_list=["default"],
        train_split=None,
        eval_split="test",
        few_shot_num=0,
        prompt_template="{question}",
        metric_list=["BLEU", "Rouge"],
        headline_metric=HEADLINE_KEY,
    )
)
class GeneralQAAdapter(QuestionAnswerAdapter):
    """Query or chat records to samples; BLEU/ROUGE scores from ``assay.scoring.text_metrics``."""

    data: ClassVar[DataSpec] = DataSpec(local_only=True)
    default_scorers: ClassVar[dict[str, str]] = {"BLEU": "bleu", "Rouge": "rouge"}

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        if "answer" not in record and "response" not in record:
            raise KeyError("answer")  # reported as a missing column, with the columns found
        reference = record.get("answer") or record.get("response") or ""
        metadata: dict[str, Any] = {}
        sample_input: str | list[ChatMessage]
        if record.get("messages"):
            sample_input = _messages(record["messages"], subset, index)
        else:
            question = record.get("question") or record.get("query")
            if question is None:
                raise KeyError("query")
            sample_input = str(question)
            if record.get("system"):
                metadata["system"] = str(record["system"])
        target = [str(r) for r in reference] if isinstance(reference, list) else str(reference)
        return Sample(id=f"{subset}-{index}", input=sample_input, target=target, subset=subset, metadata=metadata)

    def system_prompt_for(self, sample: Sample) -> str | None:
        # A record's own system prompt wins over the configured one (EvalScope adds the configured
        # one only when the input has no system message).
        system = sample.metadata.get("system")
        return str(system) if system is not None else self.meta.system_prompt


def _messages(raw: Any, subset: str, index: int) -> list[ChatMessage]:
    if not isinstance(raw, list) or not all(isinstance(m, Mapping) for m in raw):
        raise UserError(f"general_qa {subset} record {index}: 'messages' must be a list of {{role, content}}")
    messages = []
    for message in raw:
        role = message.get("role")
        if role not in _ROLES:
            raise UserError(
                f"general_qa {subset} record {index}: message role {role!r} is not one of {', '.join(_ROLES)}"
            )
        messages.append(ChatMessage(role=role, content=str(message.get("content") or "")))
    return messages
