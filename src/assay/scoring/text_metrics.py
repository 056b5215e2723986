"""BLEU-1..4 and ROUGE-1/2/L of a free-text answer, as ``general_qa`` reports them. Offline.

Names are EvalScope's (``METRIC_SCORE_KEYS`` in ``evalscope/benchmarks/general_qa_vqa_metrics.py``):
``bleu-1`` .. ``bleu-4`` and ``Rouge-{1,2,L}-{R,P,F}``; ``Rouge-L-R`` is general_qa's main score.

Definitions follow the field libraries, with the differences from EvalScope written down:

* ``bleu-n`` is the brevity penalty times the clipped n-gram precision of order ``n`` alone, what
  NLTK's ``sentence_bleu`` gives with weights like ``(0, 1, 0, 0)`` (EvalScope's definition), computed
  with sacrebleu without smoothing. Tokens: sacrebleu's ``13a`` (the WMT standard), or its ``zh``
  tokenizer, one token per Chinese character, when the text contains CJK. EvalScope tokenizes with
  NLTK's ``word_tokenize`` and Chinese with jieba words; NLTK needs a ``punkt`` download, so offline
  EvalScope silently scores every BLEU as 0. Nothing here downloads anything.
* ``Rouge-*`` come from Google's ``rouge-score`` (the package behind most published ROUGE): n-gram
  multiset overlap and sentence-level LCS, F = F1. Tokens: lower-cased runs of letters and digits
  (``rouge-score``'s own rule, widened from ASCII to all scripts) with each CJK character a token of its
  own; ``rouge-score``'s default tokenizer would delete Chinese entirely. EvalScope uses the
  ``rouge_chinese`` package on whitespace (jieba for Chinese) tokens, case- and punctuation-sensitive,
  so its numbers differ slightly on punctuated or mixed-case text.

With several references, BLEU counts n-grams against all of them (standard multi-reference BLEU)
and ROUGE takes the reference with the best F (``rouge-score``'s ``score_multi``).

Example:
    >>> scores = text_similarity("the cat sat on the mat", ["the cat is on the mat"])
    >>> round(scores["bleu-1"], 4), round(scores["Rouge-L-F"], 4)
    (0.8333, 0.8333)
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rouge_score.rouge_scorer import RougeScorer
    from sacrebleu.metrics.bleu import BLEU

__all__ = ["BLEU_KEYS", "ROUGE_KEYS", "TEXT_SIMILARITY_KEYS", "bleu_scores", "rouge_scores", "text_similarity"]

#: EvalScope's BLEU keys, in its order.
BLEU_KEYS: tuple[str, ...] = ("bleu-1", "bleu-2", "bleu-3", "bleu-4")
#: EvalScope's ROUGE keys, in its order.
ROUGE_KEYS: tuple[str, ...] = tuple(f"Rouge-{v}-{s}" for v in ("1", "2", "L") for s in ("R", "P", "F"))
#: Every key :func:`text_similarity` returns.
TEXT_SIMILARITY_KEYS: tuple[str, ...] = BLEU_KEYS + ROUGE_KEYS

# Han ideographs (with extension A and compatibility forms) and Japanese kana: scripts written
# without spaces, where a character is the only unit available without a segmentation model.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAS_CJK = re.compile(f"[{_CJK}]")
_ROUGE_TOKEN = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")

_ROUGE_TYPES = (("1", "rouge1"), ("2", "rouge2"), ("L", "rougeL"))


class _RougeTokenizer:
    """``rouge-score`` tokenizer protocol: lower-cased word runs, one token per CJK character."""

    def tokenize(self, text: str) -> list[str]:
        return _ROUGE_TOKEN.findall(text.lower())


@lru_cache(maxsize=2)
def _bleu(tokenize: str) -> BLEU:
    from sacrebleu.metrics.bleu import BLEU

    # effective_order only changes the combined BLEU (unused here) and silences a warning that
    # sentence-level BLEU should use it.
    return BLEU(tokenize=tokenize, smooth_method="none", effective_order=True)


@lru_cache(maxsize=1)
def _rouge() -> RougeScorer:
    from rouge_score.rouge_scorer import RougeScorer

    return RougeScorer([name for _, name in _ROUGE_TYPES], use_stemmer=False, tokenizer=_RougeTokenizer())


def bleu_scores(pred: str, refs: list[str]) -> dict[str, float]:
    """``bleu-1`` .. ``bleu-4`` of ``pred`` against ``refs`` (see the module docstring)."""
    tokenize = "zh" if any(_HAS_CJK.search(text) for text in (pred, *refs)) else "13a"
    stats = _bleu(tokenize).sentence_score(pred, refs)
    return {
        key: stats.bp * stats.counts[n] / stats.totals[n] if stats.totals[n] else 0.0 for n, key in enumerate(BLEU_KEYS)
    }


def rouge_scores(pred: str, refs: list[str]) -> dict[str, float]:
    """``Rouge-{1,2,L}-{R,P,F}`` of ``pred`` against the best of ``refs`` (see the module docstring)."""
    best = _rouge().score_multi(refs, pred)
    out: dict[str, float] = {}
    for variant, name in _ROUGE_TYPES:
        score = best[name]
        # float(): rouge-score returns the int 0 for ROUGE-L of an empty text.
        out[f"Rouge-{variant}-R"] = float(score.recall)
        out[f"Rouge-{variant}-P"] = float(score.precision)
        out[f"Rouge-{variant}-F"] = float(score.fmeasure)
    return out


def text_similarity(pred: str, refs: list[str]) -> dict[str, float]:
    """BLEU-1..4 and ROUGE-1/2/L recall, precision and F of ``pred`` against ``refs``, in [0, 1].

    Needs no network and no downloaded data. An empty prediction scores 0 everywhere.

    Args:
        pred: The model's answer.
        refs: One or more reference answers.

    Returns:
        :data:`TEXT_SIMILARITY_KEYS` -> score.

    Raises:
        ValueError: ``refs`` is empty.
    """
    if not refs:
        raise ValueError("text_similarity needs at least one reference")
    return {**bleu_scores(pred, refs), **rouge_scores(pred, refs)}
