"""MMBench: bilingual multiple-choice questions about images over 20 perception and reasoning abilities.

As in EvalScope (``evalscope/benchmarks/mm_bench/mm_bench_adapter.py``): the ``dev`` split of
``lmms-lab/MMBench``, subsets ``cn`` and ``en`` (4,329 rows each), zero-shot, EvalScope's
``MultipleChoiceTemplate.SINGLE_ANSWER_COT`` prompt (the English template and ``ANSWER:`` parser
for the Chinese subset too), the image sent after the prompt text. Options are the ``A``-``D``
columns with empty ones (``"nan"`` in the hub copy) dropped, so a two-option question asks for
``A,B``; the letter after the reply's last ``ANSWER:`` is scored by exact match (``acc``), per
subset. Scoring is plain accuracy over rows, as EvalScope's: MMBench's official CircularEval (a
question counts only when every rotation of its options is answered right) is not computed, and
each row of the split is a sample of its own. EvalScope reports no category breakdown; each
sample keeps its ``category`` and ``L2-category`` in its metadata. No dataset revision is pinned:
EvalScope pins none and names no commit.

Differences, on purpose:

* The hint. EvalScope sends ``record["hint"] + record["question"]`` unconditionally, so a question
  without a hint (a ``"nan"`` cell) would start with the text ``nan``, and a hint's last sentence
  runs into the question without a space. Here a blank hint is left out and a real one is put on
  its own line before the question.
* An option missing between two present ones (never seen in MMBench) would shift EvalScope's
  letters away from the gold one; here the gold letter follows its option. A gold letter whose
  option is empty, or a record without an image, stops the run with the record named.
* The image goes with its real media type (EvalScope labels every MMBench image ``image/jpeg``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assay.benchmarks._mcq import SINGLE_ANSWER_TEMPLATE_COT, MultipleChoiceAdapter
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._registry import register_benchmark
from assay.benchmarks._vision_mcq_base import ImageAfterText, is_blank, record_image
from assay.errors import UserError
from assay.scoring.extract import choice_label
from assay.types import Sample

_OPTION_COLUMNS = "ABCD"

_EXAMPLE_HINT = (
    "下面的文章描述了一个实验。阅读文章，然后按照以下说明进行操作。\n\n"
    "Madelyn在雪板的底部涂上了一层薄蜡，然后直接下坡滑行。然后，她去掉了蜡，再次直接下坡滑行。她重复了这个过程四次，"
    "每次都交替使用薄蜡或不使用薄蜡滑行。她的朋友Tucker计时每次滑行的时间。Madelyn和Tucker计算了使用薄蜡滑行和不使用"
    "薄蜡滑行时直接下坡所需的平均时间。\n图：滑雪板下坡。"
)


@register_benchmark(
    BenchmarkMeta(
        name="mm_bench",
        pretty_name="MMBench",
        description=(
            "MMBench asks multiple-choice questions about images that test 20 fine-grained abilities, from "
            "object localisation and OCR to social and physical reasoning, in English (en) and Chinese (cn). "
            "Each dev-split question (with its hint, when it has one) is sent zero-shot with its image and a "
            "step-by-step instruction ending in 'ANSWER: <letter>'; the extracted letter is scored by exact "
            "match, per language."
        ),
        tags=["knowledge", "reasoning", "multiple-choice", "multimodal"],
        paper_url="https://arxiv.org/abs/2307.06281",
        version="1",
        dataset_id="lmms-lab/MMBench",
        homepage="https://github.com/open-compass/MMBench",
        license=None,  # the lmms-lab/MMBench card states none; see the project page
        sample_counts={"cn": 4329, "en": 4329},  # dev split (EvalScope's _meta/mm_bench.json statistics)
        example=BenchmarkExample(
            record={
                "index": 241,
                "question": "麦德琳和塔克的实验能最好回答哪个问题？",
                "hint": _EXAMPLE_HINT,
                "A": "当麦德琳的雪板上有一层薄蜡或一层厚蜡时，它是否能在较短的时间内滑下山坡？",
                "B": "当麦德琳的雪板上有一层蜡或没有蜡时，它是否能在较短的时间内滑下山坡？",
                "C": "nan",
                "D": "nan",
                "answer": "B",
                "category": "identity_reasoning",
                "L2-category": "attribute_reasoning",
                "source": "scienceqa",
                "image": {"bytes": None, "path": "https://example.com/mmbench-cn-dev-241.jpg"},
            },
            subset="cn",
            source="cn dev record 241 as EvalScope's _meta/mm_bench.json shows it (hint and question split at the "
            "question sentence; the JPEG bytes replaced by a URL)",
        ),
        local_layout=(
            "a snapshot of the hub dataset: <dir>/<cn|en>/dev-NNNNN-of-MMMMM.parquet (or <dir>/<cn|en>/dev.parquet) "
            "with index, question, hint, A-D, answer (a letter), category, L2-category and image ({bytes, path} cells)"
        ),
        available_subsets=["cn", "en"],
        subset_list=["cn", "en"],
        eval_split="dev",
        prompt_template=SINGLE_ANSWER_TEMPLATE_COT,
        metric_list=["acc"],
    )
)
class MMBenchAdapter(ImageAfterText, MultipleChoiceAdapter):
    """Hint and question, the non-empty ``A``-``D`` options, a letter ``answer`` and the image; ids from ``index``."""

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        present = [letter for letter in _OPTION_COLUMNS if not is_blank(record.get(letter))]
        answer = str(record["answer"]).strip().upper()
        if answer not in present:
            raise UserError(
                f"mm_bench {subset} record {index} has answer {record['answer']!r}, which is not one of its "
                f"non-empty options {', '.join(present) or '(none)'}"
            )
        hint, question = record.get("hint"), str(record["question"])
        raw_id = record.get("index")
        image = record_image(record, benchmark="mm_bench", subset=subset, split=self.meta.eval_split, index=index)
        return Sample(
            id=f"{subset}-{raw_id if not is_blank(raw_id) else index}",
            input=question if is_blank(hint) else f"{str(hint).strip()}\n{question}",
            choices=[str(record[letter]) for letter in present],
            target=choice_label(present.index(answer)),
            subset=subset,
            metadata={
                "images": {1: image},
                "category": record.get("category"),
                "L2-category": record.get("L2-category"),
                "source": record.get("source"),
            },
        )
