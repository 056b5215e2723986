"""DocVQA: questions about scanned business documents (letters, forms, tables, figures), scored by ANLS.

As EvalScope (``evalscope/benchmarks/docvqa/docvqa_adapter.py`` and the ``anls`` metric in
``evalscope/metrics/nlp/metrics.py``):

* **Data**: the ``validation`` split (the test split has no public answers) of the ``DocVQA``
  configuration of ``lmms-lab/DocVQA``: 5,349 questions with ``questionId``, ``question``,
  ``question_types``, ``answers`` (every accepted answer), ``docId``, the UCSF document id and page,
  and the page ``image``. One subset, ``DocVQA``. EvalScope pins no revision, so neither does Assay.
* **Prompt**: EvalScope's: "Answer the question according to the image using a single word or
  phrase.", the question, and the request for a last line ``ANSWER: [ANSWER]``; zero-shot, the
  page image after the text.
* **Extraction**: the text after the last ``ANSWER:`` to the end of its line, stripped; without
  one, the whole reply, stripped (EvalScope's fallback).
* **Metric**: ``anls``, Average Normalized Levenshtein Similarity against the closest gold answer
  (lower-cased, whitespace collapsed), 0 below the 0.5 threshold, exactly as EvalScope and the
  official DocVQA script, including dividing by the longer *raw* text length (see
  :func:`assay.scoring.scorers.vqa.anls`). ``metric_list: [{"anls": {"thresh_hold": t}}]``
  changes the threshold as in EvalScope.
"""

from __future__ import annotations

from typing import ClassVar

from assay.benchmarks._doc_vqa_base import AnlsAdapter, docvqa_meta
from assay.benchmarks._meta import BenchmarkExample
from assay.benchmarks._registry import register_benchmark
from assay.scoring.scorers import vqa as _vqa_scorers  # noqa: F401  registers anls


@register_benchmark(
    docvqa_meta(
        "DocVQA",
        name="docvqa",
        pretty_name="DocVQA",
        description=(
            "DocVQA asks questions about scanned industry documents (letters, forms, reports, tables and "
            "figures from the UCSF Industry Documents Library) whose answers are spans of the page. The page "
            "image and question are asked zero-shot for a single word or phrase after 'ANSWER:'; the answer "
            "is scored by ANLS, the normalized Levenshtein similarity to the closest accepted answer (0 below 0.5)."
        ),
        paper_url="https://arxiv.org/abs/2007.00398",
        homepage="https://www.docvqa.org/datasets/docvqa",
        license="Apache-2.0",  # lmms-lab/DocVQA card; the documents' own terms are on docvqa.org
        sample_counts={"DocVQA": 5349},  # validation split (lmms-lab/DocVQA card; EvalScope _meta/docvqa.json)
        example=BenchmarkExample(
            record={
                "questionId": "49153",
                "question": "What is the \u2018actual\u2019 value per 1000, during the year 1975?",
                "question_types": ["figure/diagram"],
                "docId": 14465,
                "ucsf_document_id": "pybv0228",
                "ucsf_document_page_no": "81",
                "answers": ["0.28"],
                "image": {"bytes": None, "path": "https://example.com/docvqa/pybv0228_81.png"},
            },
            source="the first validation record as EvalScope's docs show it; its page image replaced by a "
            "placeholder URL",
        ),
        local_layout=(
            "a snapshot of lmms-lab/DocVQA: <dir>/DocVQA/validation-NNNNN-of-MMMMM.parquet (or "
            "<dir>/DocVQA/validation.parquet, <dir>/validation.parquet) with questionId, question, answers "
            "(list) and image ({bytes, path})"
        ),
    )
)
class DocVQAAdapter(AnlsAdapter):
    """The ``DocVQA`` configuration's columns; ids are the ``questionId``."""

    metadata_columns: ClassVar[tuple[str, ...]] = (
        "questionId",
        "question_types",
        "docId",
        "ucsf_document_id",
        "ucsf_document_page_no",
    )
