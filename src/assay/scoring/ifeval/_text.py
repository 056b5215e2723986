"""The text measurements IFEval's checkers rely on: words, sentences, tokens and language.

Each one reproduces what Google's reference implementation (``instruction_following_eval``,
``instructions_util.py``) computes, because a checker that counts sentences differently gives a
different score:

* words: runs of ``\\w`` characters (the reference's ``RegexpTokenizer(r"\\w+")``);
* sentences: NLTK's Punkt sentence splitter with its trained English parameters;
* tokens (for all-capital words): NLTK's ``word_tokenize``, i.e. Punkt sentences, then the
  improved Treebank word tokenizer on each;
* language: ``langdetect`` with a fixed seed (the reference leaves it unseeded, so two runs can
  disagree; EvalScope seeds it with 0 and so do we).

The Punkt English parameters normally come from ``nltk.download("punkt_tab")``, a network fetch at
run time that fails offline. They are vendored in ``punkt_english/`` instead (see its README), and
loaded from there, so no NLTK data lookup ever happens.
"""

from __future__ import annotations

import collections
import functools
import importlib
import re
import threading
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from assay.errors import UserError

if TYPE_CHECKING:
    from nltk.tokenize.destructive import NLTKWordTokenizer
    from nltk.tokenize.punkt import PunktSentenceTokenizer

PUNKT_ENGLISH_DIR = Path(__file__).with_name("punkt_english")

_WORD = re.compile(r"\w+")
_LANGDETECT_LOCK = threading.Lock()


def count_words(text: str) -> int:
    """Number of ``\\w+`` runs: "don't" is two words, "state-of-the-art" four (as the reference)."""
    return len(_WORD.findall(text))


def count_sentences(text: str) -> int:
    """Number of sentences by Punkt's English model ("Dr. Smith arrived." is one sentence)."""
    return len(_sentence_tokenizer().tokenize(text))


def word_tokenize(text: str) -> list[str]:
    """NLTK's ``word_tokenize(text)`` for English, without NLTK's data lookup."""
    tokenizer = _word_tokenizer()
    return [token for sentence in _sentence_tokenizer().tokenize(text) for token in tokenizer.tokenize(sentence)]


def detect_language(text: str) -> str | None:
    """ISO 639-1 code ``langdetect`` gives ``text``, or None when it cannot tell (no letters).

    The reference counts an undetectable text as following a language instruction, so callers
    must treat None as "passes", not as a mismatch.
    """
    detect, error = _langdetect()
    try:
        return str(detect(text))
    except error:
        return None


@functools.lru_cache(maxsize=1)
def _sentence_tokenizer() -> PunktSentenceTokenizer:
    nltk_punkt = _import_nltk_punkt()
    # The four files in NLTK's punkt_tab format, read as nltk's own loader does (one entry per line,
    # tab-separated fields). Parsed here because that loader's path argument is an NLTK-internal type.
    params = nltk_punkt.PunktParameters()
    params.abbrev_types = set(_lines("abbrev_types.txt"))
    params.sent_starters = set(_lines("sent_starters.txt"))
    params.collocations = {tuple(line.split("\t")) for line in _lines("collocations.tab")}
    params.ortho_context = collections.defaultdict(
        int, {word: int(flags) for word, flags in (line.split("\t") for line in _lines("ortho_context.tab"))}
    )
    return nltk_punkt.PunktSentenceTokenizer(params)


def _lines(name: str) -> list[str]:
    # split("\n"), not splitlines(): an entry may contain other Unicode line-break characters.
    text = (PUNKT_ENGLISH_DIR / name).read_text(encoding="utf-8")
    return text.removesuffix("\n").split("\n") if text else []


@functools.lru_cache(maxsize=1)
def _word_tokenizer() -> NLTKWordTokenizer:
    _import_nltk_punkt()
    from nltk.tokenize.destructive import NLTKWordTokenizer

    return NLTKWordTokenizer()


def _import_nltk_punkt() -> ModuleType:
    try:
        return importlib.import_module("nltk.tokenize.punkt")
    except ImportError:
        raise UserError("ifeval needs nltk; install it with: pip install 'nltk>=3.9'") from None


@functools.lru_cache(maxsize=1)
def _langdetect() -> tuple[Callable[[str], str], type[Exception]]:
    """``langdetect.detect`` made deterministic, and its exception type.

    langdetect samples at random while detecting, so it needs a seed to give the same answer twice,
    and it builds its profile table lazily on first use, which is not thread-safe: both are done
    once, under a lock.
    """
    with _LANGDETECT_LOCK:
        try:
            import langdetect
            from langdetect.detector_factory import init_factory
        except ImportError:
            raise UserError("ifeval needs langdetect; install it with: pip install langdetect") from None
        langdetect.DetectorFactory.seed = 0
        init_factory()
    return langdetect.detect, langdetect.LangDetectException
