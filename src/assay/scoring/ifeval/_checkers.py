"""IFEval's 25 verifiable instructions, each a small frozen checker built from the record's kwargs.

Every checker reproduces the ``check_following`` of Google's reference implementation
(``instruction_following_eval/instructions.py``), including its quirks, because IFEval scores are
only comparable when the checks are identical. The quirks kept on purpose are noted where they
occur (keywords are regular expressions, paragraph indexing counts blank paragraphs, an
undetectable language passes ...).

Where the reference draws a *random* value for a missing or invalid kwarg (a leftover of its
instruction generator), a checker here refuses to be built and names the kwarg: no IFEval record
needs that path, and a user's own file that did would otherwise be scored against dice rolls. A
``letter`` that is not an ASCII letter is counted as given, as Google's original does (EvalScope's
copy draws a random letter there), see :class:`LetterFrequency`.
"""

from __future__ import annotations

import collections
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal, Protocol, cast

from assay.scoring.ifeval import _text

Relation = Literal["less than", "at least"]
RELATIONS: tuple[Relation, ...] = ("less than", "at least")

CONSTRAINED_RESPONSE_OPTIONS = ("My answer is yes.", "My answer is no.", "My answer is maybe.")


class InstructionError(ValueError):
    """A record's instruction id or kwargs cannot define a check."""


class Checker(Protocol):
    """One instruction of one prompt, ready to judge responses."""

    def follows(self, response: str) -> bool:
        """Whether ``response`` (already non-blank) follows the instruction."""
        ...


def _compare(count: int, relation: Relation, threshold: int) -> bool:
    return count < threshold if relation == "less than" else count >= threshold


# ---------------------------------------------------------------------------------------- keywords
@dataclass(frozen=True)
class KeywordsExistence:
    """``keywords:existence``: every keyword occurs, case-insensitively.

    Keywords are used as regular expressions without escaping, as in the reference.
    """

    keywords: tuple[str, ...]

    def follows(self, response: str) -> bool:
        return all(re.search(keyword, response, flags=re.IGNORECASE) for keyword in sorted(self.keywords))


@dataclass(frozen=True)
class KeywordFrequency:
    """``keywords:frequency``: the keyword (a regex, case-insensitive) occurs <, or >=, N times.

    Occurrences are regex matches, not words: "cat" is found inside "category".
    """

    keyword: str
    frequency: int
    relation: Relation

    def follows(self, response: str) -> bool:
        count = len(re.findall(self.keyword.strip(), response, flags=re.IGNORECASE))
        return _compare(count, self.relation, self.frequency)


@dataclass(frozen=True)
class ForbiddenWords:
    """``keywords:forbidden_words``: no forbidden word occurs as a whole word, case-insensitively."""

    forbidden_words: tuple[str, ...]

    def follows(self, response: str) -> bool:
        return not any(
            re.search(r"\b" + word + r"\b", response, flags=re.IGNORECASE) for word in sorted(set(self.forbidden_words))
        )


@dataclass(frozen=True)
class LetterFrequency:
    """``keywords:letter_frequency``: one character (case-insensitive) occurs <, or >=, N times.

    Any single character is counted as given, as in Google's original. EvalScope's copy (like
    lm-evaluation-harness's) checks a *randomly drawn* letter instead when the character is not an
    ASCII letter, so its verdict changes from run to run; IFEval has two such instructions (key 1122
    asks for 4 ``#``, key 1129 for 6 ``!``).
    """

    letter: str
    let_frequency: int
    let_relation: Relation

    def __post_init__(self) -> None:
        if len(self.letter) != 1:
            raise InstructionError(f"letter must be a single character, got {self.letter!r}")

    def follows(self, response: str) -> bool:
        count = collections.Counter(response.lower())[self.letter.lower()]
        return _compare(count, self.let_relation, self.let_frequency)


# ---------------------------------------------------------------------------------------- language
@dataclass(frozen=True)
class ResponseLanguage:
    """``language:response_language``: langdetect names the requested language.

    A text langdetect cannot classify (no letters at all) passes, as in the reference.
    """

    language: str

    def follows(self, response: str) -> bool:
        detected = _text.detect_language(response)
        return detected is None or detected == self.language


# ------------------------------------------------------------------------------------------ length
@dataclass(frozen=True)
class NumberSentences:
    """``length_constraints:number_sentences``: Punkt sentence count <, or >=, N."""

    num_sentences: int
    relation: Relation

    def follows(self, response: str) -> bool:
        return _compare(_text.count_sentences(response), self.relation, self.num_sentences)


@dataclass(frozen=True)
class NumberParagraphs:
    """``length_constraints:number_paragraphs``: exactly N paragraphs separated by ``***``.

    Blank pieces are allowed only at the very start or end; a blank piece in the middle (two
    dividers in a row) fails the instruction outright.
    """

    num_paragraphs: int

    def follows(self, response: str) -> bool:
        paragraphs = re.split(r"\s?\*\*\*\s?", response)
        count = len(paragraphs)
        for index, paragraph in enumerate(paragraphs):
            if not paragraph.strip():
                if index in (0, len(paragraphs) - 1):
                    count -= 1
                else:
                    return False
        return count == self.num_paragraphs


@dataclass(frozen=True)
class NumberWords:
    """``length_constraints:number_words``: ``\\w+`` word count <, or >=, N."""

    num_words: int
    relation: Relation

    def follows(self, response: str) -> bool:
        return _compare(_text.count_words(response), self.relation, self.num_words)


@dataclass(frozen=True)
class NthParagraphFirstWord:
    """``length_constraints:nth_paragraph_first_word``: N ``\\n\\n`` paragraphs, paragraph n starts with W.

    Reference quirk kept: the paragraph count skips blank pieces, but paragraph n is looked up among
    *all* pieces, blank ones included, so a leading blank paragraph shifts the lookup.
    """

    num_paragraphs: int
    nth_paragraph: int
    first_word: str

    def __post_init__(self) -> None:
        if not 0 < self.nth_paragraph <= self.num_paragraphs:
            raise InstructionError(
                f"nth_paragraph must be between 1 and num_paragraphs ({self.num_paragraphs}), got {self.nth_paragraph}"
            )

    def follows(self, response: str) -> bool:
        paragraphs = re.split(r"\n\n", response)
        count = sum(1 for paragraph in paragraphs if paragraph.strip())
        if self.nth_paragraph > count:
            return False
        paragraph = paragraphs[self.nth_paragraph - 1].strip()
        if not paragraph:
            return False
        word = paragraph.split()[0].strip().lstrip("'").lstrip('"')
        first_word = ""
        for letter in word:
            if letter in ".,?!'\"":
                break
            first_word += letter.lower()
        return count == self.num_paragraphs and first_word == self.first_word.lower()


# ----------------------------------------------------------------------------------------- content
@dataclass(frozen=True)
class NumberPlaceholders:
    """``detectable_content:number_placeholders``: at least N ``[...]`` placeholders (non-greedy)."""

    num_placeholders: int

    def follows(self, response: str) -> bool:
        return len(re.findall(r"\[.*?\]", response)) >= self.num_placeholders


@dataclass(frozen=True)
class Postscript:
    """``detectable_content:postscript``: some line contains the marker (``P.S.``, ``P.P.S`` ...).

    The match is case-insensitive and may start anywhere in a line, as in the reference; other
    markers are used as regular expressions, unescaped.
    """

    postscript_marker: str

    def follows(self, response: str) -> bool:
        marker = self.postscript_marker.strip()
        if marker == "P.P.S":
            pattern = r"\s*p\.\s?p\.\s?s.*$"
        elif marker == "P.S.":
            pattern = r"\s*p\.\s?s\..*$"
        else:
            pattern = r"\s*" + marker.lower() + r".*$"
        return bool(re.findall(pattern, response.lower(), flags=re.MULTILINE))


# ------------------------------------------------------------------------------------------ format
@dataclass(frozen=True)
class NumberBulletLists:
    """``detectable_format:number_bullet_lists``: exactly N lines starting with ``*`` or ``-``.

    A line starting with ``**`` is not a ``*`` bullet; any line starting with ``-`` counts
    (``---`` too), as in the reference.
    """

    num_bullets: int

    def follows(self, response: str) -> bool:
        stars = re.findall(r"^\s*\*[^\*].*$", response, flags=re.MULTILINE)
        dashes = re.findall(r"^\s*-.*$", response, flags=re.MULTILINE)
        return len(stars) + len(dashes) == self.num_bullets


@dataclass(frozen=True)
class ConstrainedResponse:
    """``detectable_format:constrained_response``: contains "My answer is yes./no./maybe."."""

    def follows(self, response: str) -> bool:
        response = response.strip()
        return any(option in response for option in CONSTRAINED_RESPONSE_OPTIONS)


@dataclass(frozen=True)
class NumberHighlightedSections:
    """``detectable_format:number_highlighted_sections``: at least N ``*...*`` or ``**...**`` spans.

    A ``**bold**`` span counts once: the single-star pattern matches only its empty ``**`` ends,
    which do not count, and the double-star pattern matches it whole.
    """

    num_highlights: int

    def follows(self, response: str) -> bool:
        single = [h for h in re.findall(r"\*[^\n\*]*\*", response) if h.strip("*").strip()]
        double = [
            h for h in re.findall(r"\*\*[^\n\*]*\*\*", response) if h.removeprefix("**").removesuffix("**").strip()
        ]
        return len(single) + len(double) >= self.num_highlights


@dataclass(frozen=True)
class MultipleSections:
    """``detectable_format:multiple_sections``: at least N sections marked "<splitter> <number>".

    The splitter is case-sensitive and unescaped: "Section 1" does not split on "SECTION".
    """

    section_spliter: str
    num_sections: int

    def follows(self, response: str) -> bool:
        pattern = r"\s?" + self.section_spliter.strip() + r"\s?\d+\s?"
        return len(re.split(pattern, response)) - 1 >= self.num_sections


@dataclass(frozen=True)
class JsonFormat:
    """``detectable_format:json_format``: the whole response parses as JSON, ```` ```json ```` fences allowed.

    Python's ``json`` module decides, so ``NaN`` and ``Infinity`` count as JSON, as in the reference.
    """

    def follows(self, response: str) -> bool:
        text = (
            response.strip()
            .removeprefix("```json")
            .removeprefix("```Json")
            .removeprefix("```JSON")
            .removeprefix("```")
            .removesuffix("```")
            .strip()
        )
        try:
            json.loads(text)
        except ValueError:
            return False
        return True


@dataclass(frozen=True)
class Title:
    """``detectable_format:title``: a non-blank title in ``<<double angular brackets>>`` on one line."""

    def follows(self, response: str) -> bool:
        return any(title.lstrip("<").rstrip(">").strip() for title in re.findall(r"<<[^\n]+>>", response))


# ------------------------------------------------------------------------------------- combination
@dataclass(frozen=True)
class TwoResponses:
    """``combination:two_responses``: exactly two different answers separated by ``******``.

    Blank pieces are allowed only at the ends; "different" compares the stripped texts.
    """

    def follows(self, response: str) -> bool:
        pieces = response.split("******")
        answers = []
        for index, piece in enumerate(pieces):
            if piece.strip():
                answers.append(piece)
            elif index not in (0, len(pieces) - 1):
                return False
        return len(answers) == 2 and answers[0].strip() != answers[1].strip()


@dataclass(frozen=True)
class RepeatPrompt:
    """``combination:repeat_prompt``: the response starts with the request, case-insensitively."""

    prompt_to_repeat: str

    def follows(self, response: str) -> bool:
        return response.strip().lower().startswith(self.prompt_to_repeat.strip().lower())


# ---------------------------------------------------------------------------------------- startend
@dataclass(frozen=True)
class EndChecker:
    """``startend:end_checker``: ends with the phrase, case-insensitively, ignoring outer quotes."""

    end_phrase: str

    def follows(self, response: str) -> bool:
        return response.strip().strip('"').lower().endswith(self.end_phrase.strip().lower())


@dataclass(frozen=True)
class Quotation:
    """``startend:quotation``: the stripped response starts and ends with ``"`` (and is longer than 1)."""

    def follows(self, response: str) -> bool:
        response = response.strip()
        return len(response) > 1 and response[0] == '"' and response[-1] == '"'


# ------------------------------------------------------------------------------------ change_case
@dataclass(frozen=True)
class CapitalWordFrequency:
    """``change_case:capital_word_frequency``: all-capital tokens <, or >=, N (NLTK word tokens)."""

    capital_frequency: int
    capital_relation: Relation

    def follows(self, response: str) -> bool:
        count = sum(1 for token in _text.word_tokenize(response) if token.isupper())
        return _compare(count, self.capital_relation, self.capital_frequency)


@dataclass(frozen=True)
class EnglishCapital:
    """``change_case:english_capital``: all cased letters are capitals and langdetect says English.

    Only a response that is all capitals reaches language detection; one langdetect cannot
    classify then passes, as in the reference.
    """

    def follows(self, response: str) -> bool:
        return response.isupper() and _text.detect_language(response) in (None, "en")


@dataclass(frozen=True)
class EnglishLowercase:
    """``change_case:english_lowercase``: no capital letters and langdetect says English."""

    def follows(self, response: str) -> bool:
        return response.islower() and _text.detect_language(response) in (None, "en")


# ------------------------------------------------------------------------------------- punctuation
@dataclass(frozen=True)
class NoComma:
    """``punctuation:no_comma``: no ASCII comma anywhere (a full-width "，" is not one)."""

    def follows(self, response: str) -> bool:
        return "," not in response


CHECKERS: Mapping[str, type] = {
    "keywords:existence": KeywordsExistence,
    "keywords:frequency": KeywordFrequency,
    "keywords:forbidden_words": ForbiddenWords,
    "keywords:letter_frequency": LetterFrequency,
    "language:response_language": ResponseLanguage,
    "length_constraints:number_sentences": NumberSentences,
    "length_constraints:number_paragraphs": NumberParagraphs,
    "length_constraints:number_words": NumberWords,
    "length_constraints:nth_paragraph_first_word": NthParagraphFirstWord,
    "detectable_content:number_placeholders": NumberPlaceholders,
    "detectable_content:postscript": Postscript,
    "detectable_format:number_bullet_lists": NumberBulletLists,
    "detectable_format:constrained_response": ConstrainedResponse,
    "detectable_format:number_highlighted_sections": NumberHighlightedSections,
    "detectable_format:multiple_sections": MultipleSections,
    "detectable_format:json_format": JsonFormat,
    "detectable_format:title": Title,
    "combination:two_responses": TwoResponses,
    "combination:repeat_prompt": RepeatPrompt,
    "startend:end_checker": EndChecker,
    "change_case:capital_word_frequency": CapitalWordFrequency,
    "change_case:english_capital": EnglishCapital,
    "change_case:english_lowercase": EnglishLowercase,
    "punctuation:no_comma": NoComma,
    "startend:quotation": Quotation,
}


class _Coercer:
    """Turns one raw kwarg value into the type its checker field declares, or explains why not."""

    @staticmethod
    def integer(name: str, value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise InstructionError(f"{name} must be a whole number, got {value!r}")
        try:
            number = float(value)
        except ValueError:
            raise InstructionError(f"{name} must be a whole number, got {value!r}") from None
        if not number.is_integer() or number < 0:
            raise InstructionError(f"{name} must be a whole number >= 0, got {value!r}")
        return int(number)

    @staticmethod
    def text(name: str, value: object) -> str:
        if not isinstance(value, str):
            raise InstructionError(f"{name} must be a string, got {value!r}")
        return value

    @staticmethod
    def texts(name: str, value: object) -> tuple[str, ...]:
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise InstructionError(f"{name} must be a list of strings, got {value!r}")
        return tuple(_Coercer.text(name, item) for item in value)

    @staticmethod
    def relation(name: str, value: object) -> Relation:
        if value not in RELATIONS:
            raise InstructionError(f"{name} must be one of {', '.join(map(repr, RELATIONS))}, got {value!r}")
        return value


_COERCE: Mapping[str, Callable[[str, object], object]] = {
    "int": _Coercer.integer,
    "str": _Coercer.text,
    "tuple[str, ...]": _Coercer.texts,
    "Relation": _Coercer.relation,
}


def build_checker(instruction_id: str, kwargs: Mapping[str, Any] | None) -> Checker:
    """The checker for one instruction of a record, from its id and kwargs.

    Like the reference, kwargs whose value is empty or None are ignored (the hub's copy of IFEval
    lists every kwarg name on every instruction, mostly as None). A kwarg that is missing, of the
    wrong type, or not one the instruction takes is an error (the reference would crash or guess).

    Raises:
        InstructionError: Unknown instruction id, or a kwarg that is missing or of the wrong type.

    Example:
        >>> build_checker("punctuation:no_comma", {}).follows("no commas here")
        True
    """
    try:
        cls = CHECKERS[instruction_id]
    except KeyError:
        raise InstructionError(f"unknown IFEval instruction {instruction_id!r}") from None
    given = {key: value for key, value in (kwargs or {}).items() if value}
    names = [field.name for field in fields(cls)]
    unexpected = sorted(set(given) - set(names))
    if unexpected:
        takes = ", ".join(names) or "none"
        raise InstructionError(f"{instruction_id} takes no kwarg {unexpected[0]!r} (it takes: {takes})")
    values: dict[str, object] = {}
    for field in fields(cls):
        if field.name not in given:
            raise InstructionError(f"{instruction_id} needs kwarg {field.name!r}")
        values[field.name] = _COERCE[str(field.type)](field.name, given[field.name])
    return cast(Checker, cls(**values))
