"""IFEval scoring: does a response follow each verifiable instruction of its prompt?

Two verdicts per instruction, as in Google's reference (``evaluation_lib.py``):

* **strict**: the response as given follows it;
* **loose**: at least one of eight variants follows it: the response, with its first line removed,
  with its last line removed, with both removed, and each of those four with every ``*`` removed.
  This forgives a chatty first line ("Sure, here it is:"), a sign-off, and markdown emphasis.

A blank response (or blank variant) follows nothing. From the verdicts come the four scores:
prompt-level (all instructions of a prompt followed) and instruction-level (micro average over all
instructions of all prompts), each strict and loose.

Example:
    >>> verdict = check_instructions(["punctuation:no_comma"], [{}], "Sure, here goes:\\nno commas here")
    >>> verdict.strict, verdict.loose
    ((False,), (True,))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assay.scoring.ifeval._checkers import CHECKERS, Checker, InstructionError, build_checker

__all__ = [
    "INSTRUCTION_IDS",
    "Checker",
    "InstructionError",
    "Verdict",
    "build_checkers",
    "check_instructions",
    "loose_variants",
]

#: Every instruction id IFEval uses (the reference registry's 25).
INSTRUCTION_IDS: tuple[str, ...] = tuple(CHECKERS)


@dataclass(frozen=True)
class Verdict:
    """Per-instruction strict and loose results, in the record's instruction order."""

    strict: tuple[bool, ...]
    loose: tuple[bool, ...]

    @property
    def prompt_strict(self) -> bool:
        """All instructions followed, strictly."""
        return all(self.strict)

    @property
    def prompt_loose(self) -> bool:
        """All instructions followed, loosely."""
        return all(self.loose)


def build_checkers(instruction_ids: Sequence[str], kwargs: Sequence[Mapping[str, Any] | None]) -> list[Checker]:
    """One checker per instruction of a record.

    Raises:
        InstructionError: The lists differ in length, or an instruction is unknown or badly specified.
    """
    if len(instruction_ids) != len(kwargs):
        raise InstructionError(f"{len(instruction_ids)} instruction ids but {len(kwargs)} kwargs entries")
    return [build_checker(instruction_id, args) for instruction_id, args in zip(instruction_ids, kwargs, strict=True)]


def loose_variants(response: str) -> list[str]:
    """The eight texts the loose verdict tries, in the reference's order."""
    lines = response.split("\n")
    without_first = "\n".join(lines[1:]).strip()
    without_last = "\n".join(lines[:-1]).strip()
    without_both = "\n".join(lines[1:-1]).strip()
    trimmed = [response, without_first, without_last, without_both]
    return [response, response.replace("*", ""), *trimmed[1:], *(text.replace("*", "") for text in trimmed[1:])]


def check_instructions(
    instruction_ids: Sequence[str], kwargs: Sequence[Mapping[str, Any] | None], response: str
) -> Verdict:
    """Strict and loose verdicts of ``response`` on each instruction.

    Raises:
        InstructionError: As :func:`build_checkers`.
    """
    checkers = build_checkers(instruction_ids, kwargs)
    variants = [text for text in loose_variants(response) if text.strip()]
    strict = tuple(bool(response.strip()) and checker.follows(response) for checker in checkers)
    loose = tuple(
        followed or any(checker.follows(text) for text in variants)
        for followed, checker in zip(strict, checkers, strict=True)
    )
    return Verdict(strict=strict, loose=loose)
