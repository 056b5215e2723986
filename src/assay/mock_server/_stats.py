"""The mock server's counters, and the record of what arrived with images or tools."""

from __future__ import annotations

import hashlib
from typing import Any

from assay.mock_server._protocol import CHAT_PATH, COMPLETIONS_PATH, GenerationRequest

OUTCOMES = ("ok", "429", "500", "hang", "truncate", "malformed", "400-echo", "401", "400", "404")
"""Keys of ``by_outcome`` in :meth:`Stats.snapshot`; every counted request lands in exactly one."""


def prompt_key(text: str) -> str:
    """Key of ``prompt_counts``: the first 16 hex digits of the SHA-256 of the question text.

    The question is the last user message (chat) or the prompt (completions); tests call this on
    the text they sent to look up how often the server saw it, e.g. to count retries.
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class Stats:
    """Counters of the answering endpoints; touched only on the server's loop, so no lock.

    ``by_endpoint`` always lists the two generation endpoints; ``/v1/embeddings`` appears once it
    has been asked, so the counters of a text-generation run read as they always have. Requests
    carrying images or tools are recorded one entry each (only those: a timing bench sending a
    million plain prompts keeps no per-request state). ``rule_hits`` has one counter per rule in
    force; a rule's count so far is also what decides whether its ``fail_times`` are used up, and
    the count and the decision happen in one step on the loop, so concurrent requests cannot both
    take the last failure.
    """

    def __init__(self, rule_count: int = 0) -> None:
        self.rule_hits = [0] * rule_count
        self.rule_completions = [0] * rule_count
        self.reset()

    def reset(self) -> None:
        """Zero everything, rule hits included (so each rule's ``fail_times`` start over)."""
        self.rule_hits = [0] * len(self.rule_hits)
        self.rule_completions = [0] * len(self.rule_hits)
        self.requests_total = 0
        self.images_total = 0
        self.by_endpoint = {CHAT_PATH: 0, COMPLETIONS_PATH: 0}
        self.by_outcome = dict.fromkeys(OUTCOMES, 0)
        self.prompt_counts: dict[str, int] = {}
        self.images: list[dict[str, Any]] = []
        self.tools: list[dict[str, Any]] = []

    def count_request(self, path: str) -> None:
        """One more request reached ``path`` (before it is checked)."""
        self.requests_total += 1
        self.by_endpoint[path] = self.by_endpoint.get(path, 0) + 1

    def restart_rules(self, rule_count: int) -> None:
        """New rules are in force: one zeroed hit counter for each, in their order."""
        self.rule_hits = [0] * rule_count
        self.rule_completions = [0] * rule_count

    def hit_rule(self, index: int) -> int:
        """Count a request matched by rule ``index``; returns how many it had matched before this one."""
        before = self.rule_hits[index]
        self.rule_hits[index] = before + 1
        return before

    def serve_completions(self, index: int, n: int) -> int:
        """Count ``n`` completions answered by rule ``index``; returns how many it had answered before."""
        before = self.rule_completions[index]
        self.rule_completions[index] = before + n
        return before

    def note_prompt(self, key: str, req: GenerationRequest | None) -> None:
        """A request was read: count its question, and record its images and tools if it had any."""
        self.prompt_counts[key] = self.prompt_counts.get(key, 0) + 1
        if req is None:
            return
        if req.images:
            self.images_total += len(req.images)
            self.images.append({"prompt_key": key, "images": list(req.images)})
        if req.tools is not None:
            self.tools.append({"prompt_key": key, "tools": req.tools, "tool_choice": req.tool_choice})

    def snapshot(self) -> dict[str, Any]:
        """A copy, safe to hand to another thread.

        ``requests_total``; ``images_total``, image parts received in all requests that passed the
        body checks; ``by_endpoint`` (path -> count); ``by_outcome`` (every counted request
        has exactly one outcome, see :data:`OUTCOMES`); ``prompt_counts`` (``prompt_key(question)``
        -> count, faulted requests included, so a retried question shows how often it was asked);
        ``images``, one entry per chat request that carried ``image_url`` parts, in arrival order:
        ``{"prompt_key", "images"}`` with the SHA-256 (hex) of each ``data:`` URL's decoded bytes,
        or the URL itself for a remote image; ``tools``, one entry per request that carried
        ``tools``: ``{"prompt_key", "tools" (as sent), "tool_choice"}``; ``rule_hits``, a list
        aligned with the rules in force: how many chat and completions requests each rule won (was
        the first to match) since the rules were set or the stats reset, counting those that passed
        the key, body and model checks (a 401, 400 or 404 is matched against nothing) and those
        the rule failed on purpose.
        """
        return {
            "requests_total": self.requests_total,
            "images_total": self.images_total,
            "by_endpoint": dict(self.by_endpoint),
            "by_outcome": dict(self.by_outcome),
            "prompt_counts": dict(self.prompt_counts),
            "images": [dict(entry) for entry in self.images],
            "tools": [dict(entry) for entry in self.tools],
            "rule_hits": list(self.rule_hits),
        }
