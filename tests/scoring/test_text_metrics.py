"""BLEU and ROUGE for general_qa: EvalScope's names, the usual definitions, no network."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap

import pytest

from assay.scoring.text_metrics import BLEU_KEYS, ROUGE_KEYS, TEXT_SIMILARITY_KEYS, text_similarity


def test_keys_are_evalscopes() -> None:
    # evalscope/benchmarks/general_qa_vqa_metrics.py METRIC_SCORE_KEYS
    assert BLEU_KEYS == ("bleu-1", "bleu-2", "bleu-3", "bleu-4")
    assert ROUGE_KEYS == (
        "Rouge-1-R", "Rouge-1-P", "Rouge-1-F",
        "Rouge-2-R", "Rouge-2-P", "Rouge-2-F",
        "Rouge-L-R", "Rouge-L-P", "Rouge-L-F",
    )  # fmt: skip
    assert tuple(text_similarity("a", ["a"])) == TEXT_SIMILARITY_KEYS


def test_bleu_n_is_brevity_penalty_times_order_n_precision() -> None:
    # hyp 'the cat sat on the mat' vs ref 'the cat is on the mat': equal lengths (BP = 1);
    # unigrams 5/6, bigrams 3/5 (the cat, on the, the mat), trigrams 1/4 (on the mat), 4-grams 0/3.
    # NLTK's sentence_bleu with one-hot weights gives the same (EvalScope's definition).
    scores = text_similarity("the cat sat on the mat", ["the cat is on the mat"])
    assert [scores[k] for k in BLEU_KEYS] == pytest.approx([5 / 6, 3 / 5, 1 / 4, 0.0])


def test_bleu_brevity_penalty_applies_to_short_answers() -> None:
    # 2 tokens vs 4: BP = exp(1 - 4/2) = e^-1; both unigrams match.
    scores = text_similarity("the cat", ["the cat sat down"])
    assert scores["bleu-1"] == pytest.approx(math.exp(-1))


def test_rouge_by_hand() -> None:
    # 'a b c d' vs ref 'a b d': unigram overlap 3 -> R 3/3, P 3/4; bigram overlap 1 (a b) -> R 1/2,
    # P 1/3; LCS 'a b d' = 3 -> R 1, P 3/4.
    scores = text_similarity("a b c d", ["a b d"])
    assert scores["Rouge-1-R"] == pytest.approx(1.0)
    assert scores["Rouge-1-P"] == pytest.approx(0.75)
    assert scores["Rouge-1-F"] == pytest.approx(2 * 0.75 / 1.75)
    assert scores["Rouge-2-R"] == pytest.approx(0.5)
    assert scores["Rouge-2-P"] == pytest.approx(1 / 3)
    assert scores["Rouge-L-R"] == pytest.approx(1.0)
    assert scores["Rouge-L-P"] == pytest.approx(0.75)


def test_rouge_ignores_case_and_punctuation() -> None:
    scores = text_similarity("The Cat, sat.", ["the cat sat"])
    assert scores["Rouge-L-F"] == pytest.approx(1.0)


def test_chinese_is_scored_per_character() -> None:
    # 7 characters, the 4 of the reference among them, in order.
    scores = text_similarity("我爱北京天安门", ["我爱北京"])
    assert scores["bleu-1"] == pytest.approx(4 / 7)
    assert scores["bleu-4"] == pytest.approx(1 / 4)
    assert scores["Rouge-1-R"] == pytest.approx(1.0)
    assert scores["Rouge-L-P"] == pytest.approx(4 / 7)


def test_mixed_chinese_and_english() -> None:
    scores = text_similarity("答案是 Paris", ["答案是 paris"])
    assert scores["Rouge-1-F"] == pytest.approx(1.0)  # ROUGE lower-cases
    assert 0.0 < scores["bleu-1"] < 1.0  # BLEU is case-sensitive, as NLTK's is


def test_identical_text_scores_one() -> None:
    text = "Paris is the capital and largest city of France."
    assert all(v == pytest.approx(1.0) for v in text_similarity(text, [text]).values())


def test_empty_prediction_scores_zero() -> None:
    assert set(text_similarity("", ["some reference"]).values()) == {0.0}
    assert all(isinstance(v, float) for v in text_similarity("", ["x"]).values())


def test_several_references() -> None:
    # ROUGE takes the best reference; BLEU matches n-grams against all of them.
    scores = text_similarity("the cat sat", ["a dog ran", "the cat sat"])
    assert scores["Rouge-L-F"] == pytest.approx(1.0)
    assert scores["bleu-3"] == pytest.approx(1.0)


def test_scores_are_in_unit_interval() -> None:
    for pred, ref in [("a a a a", "a"), ("x", "a b c d e f"), ("长城很长", "长城")]:
        assert all(0.0 <= v <= 1.0 for v in text_similarity(pred, [ref]).values())


def test_no_reference_is_an_error() -> None:
    with pytest.raises(ValueError):
        text_similarity("x", [])


def test_works_offline_without_any_download() -> None:
    # EvalScope's BLEU needs NLTK's punkt download and silently scores 0 offline. Run in a fresh
    # interpreter where every socket connection fails, so even a first import cannot fetch anything.
    script = textwrap.dedent(
        """
        import json, socket

        def refuse(*args, **kwargs):
            raise OSError("network disabled by test")

        socket.socket.connect = refuse
        socket.create_connection = refuse
        from assay.scoring.text_metrics import text_similarity
        print(json.dumps(text_similarity("the cat sat on the mat", ["the cat is on the mat"])))
        """
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "NLTK_DATA": "/nonexistent"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    scores = json.loads(done.stdout)
    assert scores["bleu-1"] == pytest.approx(5 / 6)
    assert scores["Rouge-L-R"] == pytest.approx(5 / 6)
