"""Reranking through the ``/rerank`` API that Jina, Cohere and vLLM share: the request body and the answer.

A reranker scores how relevant each of several documents is to one query. The request is
``{"model", "query", "documents": [...], "top_n"?}`` and the answer lists one result per scored
document, best first: ``{"results": [{"index": i, "relevance_score": s, "document"?: ...}, ...],
"usage"?: {"total_tokens": n}}``. That is the shape of Jina (``/v1/rerank``), Cohere (``/v1/rerank``
and ``/v2/rerank``), vLLM (``RerankResponse``: ``/rerank``, ``/v1/rerank`` and ``/v2/rerank``),
llama.cpp and Infinity. vLLM's other scoring API, ``/score``, answers ``data[].score`` instead and is
not this one. The client posts to ``<api_url>/rerank``, where ``api_url`` is the base that ends in
``/v1`` (``http://host:8000/v1`` gives ``/v1/rerank``); for Cohere's v2 pass a base ending in ``/v2``.

The reading is strict, because a reranker's answer is only useful if every score lands on the
right document: scores come back in the order the documents were sent, and a result missing, an
index given twice or out of range, or a score that is not a number is an error that names the
result, never a silently shorter list. ``top_n`` asks for only the best ``n``; the others are
``None`` in the scores. These functions are pure; :meth:`assay.models.openai_api.OpenAIAPI.rerank`
sends the request with its retry rules, and ``assay perf --api rerank`` reads answers here too.

Example:
    >>> answer = {"results": [{"index": 1, "relevance_score": 0.9}, {"index": 0, "relevance_score": 0.2}]}
    >>> rerank_scores(answer, n_documents=2, top_n=None)
    [0.2, 0.9]
    >>> rerank_scores({"results": [{"index": 1, "relevance_score": 0.9}]}, n_documents=2, top_n=1)
    [None, 0.9]
"""

from __future__ import annotations

from typing import Any

import orjson

from assay.models.openai_response import RejectedError, RetryableError, failure_error
from assay.models.openai_stream import FailureKind, ReadFailure, error_code, error_message
from assay.types import ModelOutput, Usage


class InvalidRerankAnswer(ValueError):
    """A rerank answer that is JSON but does not give exactly one number to each expected document."""


def rerank_body(model: str, query: str, documents: list[str], top_n: int | None) -> dict[str, Any]:
    """A ``/rerank`` body; ``top_n`` only when asked for, since without it every server scores all.

    Raises:
        ValueError: no documents, or a ``top_n`` below 1 (vLLM reads 0 as "all"; Jina rejects it).
    """
    if not documents:
        raise ValueError("rerank needs at least one document")
    if top_n is not None and top_n < 1:
        raise ValueError(f"top_n must be at least 1, got {top_n}")
    body: dict[str, Any] = {"model": model, "query": query, "documents": documents}
    if top_n is not None:
        body["top_n"] = top_n
    return body


def expected_results(n_documents: int, top_n: int | None) -> int:
    """How many results a correct answer lists: every document, or the best ``top_n`` of them."""
    return n_documents if top_n is None else min(top_n, n_documents)


def rerank_scores(answer: Any, n_documents: int, top_n: int | None) -> list[float | None]:
    """Each document's relevance score, in the order the documents were sent.

    Args:
        answer: The decoded JSON answer.
        n_documents: Documents sent.
        top_n: The ``top_n`` sent, or None.

    Returns:
        ``n_documents`` scores; a document outside the ``top_n`` returned is ``None``.

    Raises:
        InvalidRerankAnswer: no ``results`` list; a result that is not an object, has no integer
            ``index`` in range, repeats an index, or has no numeric ``relevance_score``; or fewer
            or more results than :func:`expected_results`.
    """
    results = answer.get("results") if type(answer) is dict else None
    if type(results) is not list:
        raise InvalidRerankAnswer("no 'results' list")
    scores: list[float | None] = [None] * n_documents
    for position, result in enumerate(results):
        fields: dict[str, Any] = result if type(result) is dict else {}
        index, score = fields.get("index"), fields.get("relevance_score")
        if type(index) is not int:
            raise InvalidRerankAnswer(f"results[{position}] has no integer 'index': {_excerpt(result)}")
        if not 0 <= index < n_documents:
            raise InvalidRerankAnswer(f"results[{position}] has index {index}, but {n_documents} documents were sent")
        if not isinstance(score, int | float) or isinstance(score, bool):  # a JSON true is no score
            raise InvalidRerankAnswer(f"results[{position}] has no numeric 'relevance_score': {_excerpt(result)}")
        if scores[index] is not None:
            raise InvalidRerankAnswer(f"results[{position}] repeats index {index}")
        scores[index] = float(score)
    expected = expected_results(n_documents, top_n)
    if len(results) != expected:
        missing = [i for i, s in enumerate(scores) if s is None][:5]
        detail = f"; no score for documents {missing}" if len(results) < expected else ""
        raise InvalidRerankAnswer(f"{len(results)} results for {expected} expected{detail}")
    return scores


def rerank_usage(answer: dict[str, Any]) -> Usage | None:
    """Tokens read, from ``usage`` (``total_tokens``, else ``prompt_tokens``); None when not reported.

    Cohere reports ``meta.billed_units.search_units`` instead, which counts searches, not tokens.
    """
    usage = answer.get("usage")
    if type(usage) is not dict:
        return None
    total, prompt = usage.get("total_tokens"), usage.get("prompt_tokens")
    total = total if type(total) is int else None
    prompt = prompt if type(prompt) is int else None
    if total is None and prompt is None:
        return None
    return Usage(prompt_tokens=prompt if prompt is not None else total or 0, total_tokens=total or prompt or 0)


def rerank_output(n_documents: int, top_n: int | None, raw: bytes, start_ns: int, end_ns: int) -> ModelOutput:
    """The scores of a ``/rerank`` answer, for the openai_api backend's retry loop.

    A body that is not a JSON object may be a garbled transfer, so it is retried, as for
    embeddings; a well-formed answer with the wrong results would come back the same way, so it
    is final (:class:`RejectedError`).
    """
    try:
        answer = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise RetryableError(f"malformed JSON response: rerank body is not JSON: {raw[:80]!r}") from None
    if type(answer) is not dict:
        raise RetryableError(f"malformed JSON response: rerank body is not a JSON object: {raw[:80]!r}")
    if (message := error_message(answer)) is not None:
        reason = f"error document in a 200 response: {message}"
        raise failure_error(ReadFailure(FailureKind.ERROR, reason, message, error_code(answer)))
    try:
        scores = rerank_scores(answer, n_documents, top_n)
    except InvalidRerankAnswer as exc:
        raise RejectedError(f"invalid rerank response: {exc}") from None
    return ModelOutput(rerank_scores=scores, usage=rerank_usage(answer), latency_s=(end_ns - start_ns) / 1e9)


def _excerpt(value: Any) -> str:
    return orjson.dumps(value).decode("utf-8", errors="replace")[:80]
