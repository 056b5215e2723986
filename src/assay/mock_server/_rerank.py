"""``POST /v1/rerank`` (and ``/rerank``) for the mock server: word-overlap scores a test can predict.

The wire shape is the one Jina, Cohere and vLLM share (see :mod:`assay.models.rerank`). A
document's score is the fraction of the query's distinct words that occur in it, words being runs
of letters and digits, lowercased; a query without words scores 0 everywhere. So "red apple"
against "An apple a day" scores 0.5 and a test knows the ranking before it asks. Results come best
first, ties by document index; ``top_n`` keeps the best ``n`` (0 or absent: all, as vLLM reads it),
``return_documents`` adds each document's text. ``usage.total_tokens`` is the mock token count of the
query and the documents. Faults and delays are those of every other non-streamed answer.

Example:
    >>> relevance_score("red apple", "An apple a day"), relevance_score("...", "anything")
    (0.5, 0.0)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

from assay.mock_server._protocol import BadRequest, decode_body, requested_model
from assay.mock_server._rules import count_tokens

RERANK_PATH = "/v1/rerank"
#: vLLM serves the same API without the version prefix too.
RERANK_BARE_PATH = "/rerank"
_WORD = re.compile(r"[^\W_]+")


@dataclass(slots=True)
class RerankRequest:
    """The parts of a rerank request the mock server acts on."""

    model: str | None
    query: str
    documents: list[str]
    #: How many results to return; None for every document.
    top_n: int | None
    return_documents: bool

    @property
    def question(self) -> str:
        """What ``prompt_counts`` keys: the query."""
        return self.query


class RerankEndpoint:
    """A rerank route: parse a request, answer it (one instance per path, so stats count each)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def parse(self, raw: bytes) -> RerankRequest:
        """Decode and validate a request body.

        Raises:
            BadRequest: invalid JSON, a ``query`` that is not a string, ``documents`` that are not a
                non-empty list of strings, or a ``top_n`` that is not a non-negative integer.
        """
        body = decode_body(raw)
        query, documents, top_n = body.get("query"), body.get("documents"), body.get("top_n")
        if not isinstance(query, str):
            raise BadRequest("'query' must be a string")
        if not isinstance(documents, list) or not documents or not all(isinstance(d, str) for d in documents):
            raise BadRequest("'documents' must be a non-empty list of strings")
        if top_n is not None and (type(top_n) is not int or top_n < 0):
            raise BadRequest("'top_n' must be a non-negative integer")
        with_text = body.get("return_documents") is True
        return RerankRequest(requested_model(body), query, documents, top_n or None, with_text)

    def body(self, req: RerankRequest, model: str) -> bytes:
        """The response document: results best first (ties by index), and the mock-token count as usage."""
        scores = [relevance_score(req.query, document) for document in req.documents]
        order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
        results: list[dict[str, Any]] = []
        for index in order[: req.top_n]:
            result: dict[str, Any] = {"index": index, "relevance_score": scores[index]}
            if req.return_documents:
                result["document"] = {"text": req.documents[index]}
            results.append(result)
        tokens = count_tokens(req.query) + sum(count_tokens(document) for document in req.documents)
        return orjson.dumps({"model": model, "results": results, "usage": {"total_tokens": tokens}})


def words(text: str) -> set[str]:
    """The distinct words of ``text``: runs of letters and digits, lowercased."""
    return set(_WORD.findall(text.lower()))


def relevance_score(query: str, document: str) -> float:
    """The fraction of the query's distinct words that occur in ``document``; 0 for a query without words."""
    wanted = words(query)
    return len(wanted & words(document)) / len(wanted) if wanted else 0.0


RERANK = RerankEndpoint(RERANK_PATH)
RERANK_BARE = RerankEndpoint(RERANK_BARE_PATH)
