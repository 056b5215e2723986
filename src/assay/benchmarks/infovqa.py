"""InfographicVQA: questions about infographics (charts, maps, icons and text together), scored by ANLS.

As EvalScope (``evalscope/benchmarks/infovqa/infovqa_adapter.py``): the ``validation`` split of
the ``InfographicVQA`` configuration of ``lmms-lab/DocVQA`` (2,801 questions with ``questionId``,
``question``, ``answers``, ``answer_type``, ``image_url``, ``ocr`` and the ``image``), one subset
``InfographicVQA``, the same prompt, extraction and ``anls`` metric as ``docvqa`` (see
:mod:`assay.benchmarks.docvqa`). EvalScope pins no revision, so neither does Assay.

One deliberate difference: EvalScope copies each record's ``ocr`` column (Amazon Textract JSON of
the whole infographic, often hundreds of kilobytes) into the sample's metadata; Assay leaves it
out: nothing reads it, and a run would hold it in memory for every sample. With ``--dataset-dir`` the
snapshot is looked for in ``infovqa/`` only (not in ``docvqa/``, although both benchmarks read the
same hub snapshot), so a hand-made ``docvqa/validation.parquet`` is never taken for InfoVQA.
"""

from __future__ import annotations

from typing import ClassVar

from assay.benchmarks._doc_vqa_base import AnlsAdapter, docvqa_meta
from assay.benchmarks._meta import BenchmarkExample
from assay.benchmarks._registry import register_benchmark
from assay.scoring.scorers import vqa as _vqa_scorers  # noqa: F401  registers anls

_EXAMPLE_IMAGE = "https://blogs.constantcontact.com/wp-content/uploads/2019/03/Social-Media-Infographic.png"


@register_benchmark(
    docvqa_meta(
        "InfographicVQA",
        name="infovqa",
        pretty_name="InfoVQA",
        description=(
            "InfographicVQA asks questions about infographics, where answers need reading text, numbers, "
            "charts and layout together and sometimes simple arithmetic or counting. The infographic and "
            "question are asked zero-shot for a single word or phrase after 'ANSWER:'; the answer is scored "
            "by ANLS, the normalized Levenshtein similarity to the closest accepted answer (0 below 0.5)."
        ),
        paper_url="https://arxiv.org/abs/2104.12756",
        homepage="https://www.docvqa.org/datasets/infographicvqa",
        license="Apache-2.0",  # lmms-lab/DocVQA card; the infographics' own terms are on docvqa.org
        sample_counts={"InfographicVQA": 2801},  # validation split (lmms-lab/DocVQA card; EvalScope _meta)
        example=BenchmarkExample(
            record={
                "questionId": "98313",
                "question": "Which social platform has heavy female audience?",
                "answers": ["pinterest"],
                "answer_type": ["single span"],
                "image_url": _EXAMPLE_IMAGE,
                "image": {"bytes": None, "path": _EXAMPLE_IMAGE},
            },
            source="the first validation record as EvalScope's docs show it; the image as its image_url, "
            "the ocr column left out",
        ),
        local_layout=(
            "a snapshot of lmms-lab/DocVQA: <dir>/InfographicVQA/validation-NNNNN-of-MMMMM.parquet (or "
            "<dir>/InfographicVQA/validation.parquet, <dir>/validation.parquet) with questionId, question, "
            "answers (list) and image ({bytes, path})"
        ),
    )
)
class InfoVQAAdapter(AnlsAdapter):
    """The ``InfographicVQA`` configuration's columns; ids are the ``questionId``."""

    metadata_columns: ClassVar[tuple[str, ...]] = ("questionId", "answer_type", "image_url")
