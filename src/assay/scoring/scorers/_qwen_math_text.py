"""Text side of EvalScope's ``evalscope/metrics/math/parser.py``: answer extraction and normalisation.

EvalScope 1.x scores MathVista (and every benchmark whose metric is ``{'acc': {'numeric': True}}``)
with a parser taken from the Qwen2.5-Math evaluation code: :func:`extract_answer` reads the final
answer of a reply and :func:`strip_answer_string` normalises it (and the gold answer) before
:func:`assay.scoring.scorers.qwen_math.math_equal` compares them. Both are re-implemented here
step by step, quirks included, so that a reply gets the verdict EvalScope gives it:

* number words are read by the rules of the ``word2number`` package (:func:`word_to_number`),
  which EvalScope calls on the whole answer: any answer holding a number word becomes that number
  ("one of them" -> ``1``), and ``and`` is deleted anywhere (``band`` -> ``b``);
* a ``\\boxed{}`` wins over "the answer is", which wins over ``ANSWER:``; without any of them the
  last number of the reply is the answer.

Nothing here runs SymPy, so it is cheap enough for the event loop.

Example:
    >>> extract_answer("So the area is \\\\boxed{\\\\dfrac{1}{2}} square units.")
    '\\\\frac{1}{2}'
    >>> strip_answer_string("twenty one"), strip_answer_string("70,000"), extract_answer("ANSWER: B")
    ('21', '70000', 'B')
"""

from __future__ import annotations

import re

__all__ = ["extract_answer", "strip_answer_string", "word_to_number"]

# word2number 1.1's table; "point" separates the decimal digits.
_NUMBER_WORDS: dict[str, int] = {
    **dict.fromkeys(["zero"], 0),
    **{
        word: value
        for value, word in enumerate(
            [
                "one",
                "two",
                "three",
                "four",
                "five",
                "six",
                "seven",
                "eight",
                "nine",
                "ten",
                "eleven",
                "twelve",
                "thirteen",
                "fourteen",
                "fifteen",
                "sixteen",
                "seventeen",
                "eighteen",
                "nineteen",
            ],
            start=1,
        )
    },
    **{
        word: 10 * tens
        for tens, word in enumerate(["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"], 2)
    },
    "hundred": 100,
    "thousand": 1000,
    "million": 1000000,
    "billion": 1000000000,
}
_DECIMAL_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_SCALES = (("billion", 1000000000), ("million", 1000000), ("thousand", 1000))


def _group_value(words: list[str]) -> int:
    """word2number's ``number_formation``: the value of the words before or after a scale word."""
    numbers = [_NUMBER_WORDS[word] for word in words]  # an empty group raises IndexError below
    if len(numbers) == 4:
        return numbers[0] * numbers[1] + numbers[2] + numbers[3]
    if len(numbers) == 3:
        return numbers[0] * numbers[1] + numbers[2]
    if len(numbers) == 2:
        return numbers[0] * numbers[1] if 100 in numbers else numbers[0] + numbers[1]
    return numbers[0]


def word_to_number(text: str) -> int | float:
    """``word2number.w2n.word_to_num``: the number that the number words of ``text`` spell.

    Words that are not number words are ignored, as the package does.

    Raises:
        ValueError: No number word, a repeated scale word, scales out of order.
        IndexError: A malformed sequence the package also fails on (``"thousand one"``).

    Example:
        >>> word_to_number("two million twenty three thousand and forty nine"), word_to_number("one point five")
        (2023049, 1.5)
    """
    sentence = text.replace("-", " ").lower()
    if sentence.isdigit():
        return int(sentence)
    words = [word for word in sentence.strip().split() if word in _NUMBER_WORDS or word == "point"]
    if not words:
        raise ValueError("no number words")
    if any(words.count(word) > 1 for word in ("thousand", "million", "billion", "point")):
        raise ValueError("redundant number word")
    decimals: list[str] = []
    if "point" in words:
        at = words.index("point")
        words, decimals = words[:at], words[at + 1 :]
    index = {scale: words.index(scale) if scale in words else -1 for scale, _ in _SCALES}
    billion, million, thousand = index["billion"], index["million"], index["thousand"]
    if (thousand > -1 and (thousand < million or thousand < billion)) or (million > -1 and million < billion):
        raise ValueError("malformed number")
    total: int | float = 0
    if len(words) == 1:
        total += _NUMBER_WORDS[words[0]]
    elif words:
        total += _scaled_sum(words, billion, million, thousand)
    if decimals:
        total += _decimal_value(decimals)
    return total


def _scaled_sum(words: list[str], billion: int, million: int, thousand: int) -> int:
    total = 0
    if billion > -1:
        total += _group_value(words[:billion]) * 1000000000
    if million > -1:
        total += _group_value(words[billion + 1 if billion > -1 else 0 : million]) * 1000000
    if thousand > -1:
        start = million + 1 if million > -1 else billion + 1 if billion > -1 else 0
        total += _group_value(words[start:thousand]) * 1000
    last = len(words) - 1
    if thousand > -1 and thousand != last:
        total += _group_value(words[thousand + 1 :])
    elif million > -1 and million != last:
        total += _group_value(words[million + 1 :])
    elif billion > -1 and billion != last:
        total += _group_value(words[billion + 1 :])
    elif thousand == million == billion == -1:
        total += _group_value(words)
    return total


def _decimal_value(words: list[str]) -> int | float:
    if any(word not in _DECIMAL_WORDS for word in words):
        return 0
    return float("0." + "".join(str(_NUMBER_WORDS[word]) for word in words))


def convert_word_number(text: str) -> str:
    """``text`` as the number its number words spell, else unchanged (EvalScope's helper)."""
    try:
        return str(word_to_number(text))
    except (ValueError, IndexError, KeyError):  # word2number's failures, which EvalScope swallows
        return text


def _fix_fracs(string: str) -> str:
    """``\\frac12`` -> ``\\frac{1}{2}``, ``\\frac1b`` -> ``\\frac{1}{b}``; a too-short tail leaves the text as is."""
    pieces = string.split("\\frac")
    fixed = pieces[0]
    for piece in pieces[1:]:
        fixed += "\\frac"
        if piece.startswith("{"):
            fixed += piece
        elif len(piece) < 2:
            return string
        elif piece[1] != "{":
            fixed += "{" + piece[0] + "}{" + piece[1] + "}" + piece[2:]
        else:
            fixed += "{" + piece[0] + "}" + piece[1:]
    return fixed


def _fix_a_slash_b(string: str) -> str:
    """``3/4`` -> ``\\frac{3}{4}`` when both sides are integers written plainly (or contain ``sqrt``)."""
    parts = string.split("/")
    if len(parts) != 2:
        return string
    try:
        a: int | str = parts[0] if "sqrt" in parts[0] else int(parts[0])
        b: int | str = parts[1] if "sqrt" in parts[1] else int(parts[1])
    except ValueError:
        return string
    if string != f"{a}/{b}":
        return string
    return "\\frac{" + str(a) + "}{" + str(b) + "}"


def _number_word(match: re.Match[str]) -> str:
    word = match.group(1).lower()
    converted = convert_word_number(word)
    return match.group(0) if converted == word else converted


_INTEGER_LIST = re.compile(r"(\s*-?\d+\s*,)*\s*-?\d+\s*")
_THOUSANDS = re.compile(r"\s*-?\d{1,3}(?:,\d{3})+(?:\.\d+)?\s*")


def strip_answer_string(string: str) -> str:
    """EvalScope's ``strip_answer_string``: one canonical spelling of an answer, step by step.

    Removes line breaks, a final ``.``, ``\\left``/``\\right``, units in a trailing ``\\text{}``,
    degree signs, dollars and percent signs, ``x=`` prefixes, spaces and thousands separators;
    spells ``\\dfrac`` as ``\\frac``; reads number words; sorts a plain list of integers.

    Example:
        >>> strip_answer_string("\\\\$1,234.50"), strip_answer_string("3, 1, 2"), strip_answer_string("k = 3/4")
        ('1234.50', '1,2,3', '\\\\frac{3}{4}')
    """
    string = str(string).strip().replace("\n", "").rstrip(".").replace("\\!", "")
    string = re.sub(r"\\begin\{array\}\{.*?\}", r"\\begin{pmatrix}", string)
    string = re.sub(r"\\end\{array\}", r"\\end{pmatrix}", string)
    string = string.replace("bmatrix", "pmatrix").replace("tfrac", "frac").replace("dfrac", "frac")
    string = string.replace("\\neq", "\\ne").replace("\\leq", "\\le").replace("\\geq", "\\ge")
    string = string.replace("\\left", "").replace("\\right", "").replace("\\{", "{").replace("\\}", "}")
    string = re.sub(r"\\text\{([a-zA-Z]+)\}", _number_word, string)
    string = re.sub(r"(cm|inches)\}\^2", r"\1}", string)
    without_unit = re.sub(r"\\text{.*?}$", "", string).strip()
    if without_unit and without_unit != string:
        string = without_unit
    string = string.replace("^{\\circ}", "").replace("^\\circ", "")
    string = string.replace("\\$", "").replace("$", "").replace("\\(", "").replace("\\)", "")
    string = convert_word_number(string)
    string = re.sub(r"\\text\{(.*?)\}", r"\1", string)
    for prefix in ("x=", "y=", "z=", "x\\in", "y\\in", "z\\in", "x\\to", "y\\to", "z\\to"):
        string = string.replace(prefix, "")
    string = string.replace("\\emptyset", "{}").replace("(-\\infty,\\infty)", "\\mathbb{R}")
    string = string.replace("\\%", "").replace("%", "")
    string = string.replace(" .", " 0.").replace("{.", "{0.")
    # EvalScope also unwraps "{x}", "(x)" and "[x]" when the whole string is alphanumeric, which a
    # string starting with a bracket never is: that step never fires and is left out.
    string = string.replace("infinity", "\\infty")
    if "\\infty" not in string:
        string = string.replace("inf", "\\infty")
    string = string.replace("+\\inity", "\\infty")
    string = string.replace("and", "").replace("\\mathbf", "")
    string = re.sub(r"\\mbox{.*?}", "", string)
    string = string.replace("'", "").replace('"', "")
    if "j" in string and "i" not in string:
        string = string.replace("j", "i")
    string = re.sub(r"(\d+)\.0*([^\d])", r"\1\2", string)
    string = re.sub(r"(\d+)\.0*$", r"\1", string)
    if not string:
        return string
    if string[0] == ".":
        string = "0" + string
    sides = string.split("=")
    if len(sides) == 2 and len(sides[0]) <= 2:
        string = sides[1]
    string = re.sub(r"\\sqrt(\w+)", r"\\sqrt{\1}", string).replace(" ", "")
    string = _fix_a_slash_b(_fix_fracs(string))
    string = re.sub(r"\\(?=\-?\d+(\\|\)|,|\]|$))", "", string)
    string = re.sub(r"thgrade$", "", string)
    if _THOUSANDS.fullmatch(string):
        string = string.replace(",", "")
    if _INTEGER_LIST.fullmatch(string):
        string = ",".join(map(str, sorted(int(item) for item in string.split(","))))
    return string


def _boxed_content(tail: str) -> str:
    """What follows ``boxed``: the balanced ``{...}``, else the text up to the next ``$``."""
    if not tail.startswith("{"):
        return tail.split("$")[0].strip()
    depth, content = 1, []
    for char in tail[1:]:
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                break
        content.append(char)
    return "".join(content)


def extract_answer(reply: str) -> str:
    """EvalScope's ``extract_answer``: the final answer of a reply, normalised by :func:`strip_answer_string`.

    The first of these that the reply holds decides: Minerva's "final answer is $...$. I hope",
    the last ``boxed``, the last "he answer is", the last "final answer is", the first "答案是",
    the last ``ANSWER:``; else the last number (an empty string when there is none).

    Example:
        >>> extract_answer("The answer is 12.\\nANSWER: C"), extract_answer("about 3,5 or 1,200 units")
        ('12ANSWER:C', '1200')
    """
    reply = reply.replace("\u043a\u0438", "")
    if "final answer is $" in reply and "$. I hope" in reply:
        answer = reply.split("final answer is $", 1)[1].split("$. I hope", 1)[0].strip()
    elif "boxed" in reply:
        tail = reply.split("boxed")[-1]
        if not tail:
            return ""
        answer = _boxed_content(tail)
    elif "he answer is" in reply:
        answer = reply.split("he answer is")[-1].strip()
    elif "final answer is" in reply:
        answer = reply.split("final answer is")[-1].strip()
    elif "答案是" in reply:
        answer = reply.split("答案是")[1].strip().split("\n\n")[0].strip()
    elif "ANSWER:" in reply:
        answer = reply.split("ANSWER:")[-1].strip()
    else:
        numbers = re.findall(r"-?\d*\.?\d+", reply.replace(",", ""))
        answer = numbers[-1] if numbers else ""
    answer = re.sub(r"\n\s*", "", answer)
    if answer.startswith(":"):
        answer = answer[1:]
    if answer.endswith("."):
        answer = answer[:-1]
    if answer.endswith("/"):
        answer = answer[:-1]
    return strip_answer_string(answer)
