"""Read a retrieval dataset in the BEIR folder layout, the format MTEB and BEIR datasets ship in.

A BEIR folder holds ``corpus.jsonl`` (one ``{"_id", "title", "text"}`` object a line),
``queries.jsonl`` (``{"_id", "text"}``) and ``qrels/<split>.tsv`` (a ``query-id corpus-id score``
header, then one tab-separated judgement a line). BEIR's own ``GenericDataLoader`` accepts a
missing title and silently keeps judgements that name nothing; here every inconsistency is a
:class:`~assay.errors.UserError` naming the file, the line and the fix, because a judgement for an
unknown document would otherwise just lower every score.

Example:
    >>> document_text(BeirDocument(id="d1", title="Paris", text="The capital of France."))
    'Paris The capital of France.'
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.errors import UserError

__all__ = ["BeirDataset", "BeirDocument", "BeirQuery", "document_text", "load_beir"]

QRELS_HEADER = ("query-id", "corpus-id", "score")


@dataclass(frozen=True)
class BeirDocument:
    """One corpus entry."""

    id: str
    """The ``_id`` that qrels refer to."""
    title: str
    """Document title; ``""`` when the corpus has none."""
    text: str
    """Document body."""


@dataclass(frozen=True)
class BeirQuery:
    """One query."""

    id: str
    """The ``_id`` that qrels refer to."""
    text: str
    """Query text, embedded as is."""


@dataclass(frozen=True)
class BeirDataset:
    """A BEIR folder read for one split."""

    corpus: dict[str, BeirDocument]
    """Doc id -> document, in file order."""
    queries: dict[str, BeirQuery]
    """Query id -> query, in file order, including queries the split does not judge."""
    qrels: dict[str, dict[str, int]]
    """Query id -> doc id -> graded relevance for the split (>= 1 relevant)."""

    def judged_queries(self) -> dict[str, BeirQuery]:
        """The queries this split judges: BEIR and MTEB embed and score only these."""
        return {query_id: self.queries[query_id] for query_id in self.qrels}


def document_text(document: BeirDocument) -> str:
    """The text a document is embedded as: ``title + " " + text`` when it has a title.

    Matches MTEB's ``_corpus_to_dict`` (``(title + " " + text).strip()`` if the title is non-empty,
    else ``text.strip()``) and BEIR's ``SentenceBERT.encode_corpus``, which give the same string.
    """
    if document.title:
        return (document.title + " " + document.text).strip()
    return document.text.strip()


def _json_lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    if not path.is_file():
        raise UserError(
            f"{path}: file not found; a BEIR folder needs corpus.jsonl, queries.jsonl and qrels/<split>.tsv"
        )
    with path.open(encoding="utf-8") as lines:
        for line_number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise UserError(
                    f"{path}:{line_number}: not valid JSON ({error.msg}); write one object per line"
                ) from None
            if not isinstance(record, dict):
                raise UserError(f"{path}:{line_number}: expected a JSON object, got {type(record).__name__}")
            yield line_number, record


def _string_field(record: dict[str, Any], field: str, path: Path, line_number: int, *, required: bool) -> str:
    value = record.get(field)
    if value is None:
        if required:
            raise UserError(f"{path}:{line_number}: missing field {field!r}; every line needs {field!r}")
        return ""
    if field == "_id" and isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # some BEIR exports write numeric ids; qrels name them as text
    if not isinstance(value, str):
        raise UserError(f"{path}:{line_number}: field {field!r} must be a string, got {type(value).__name__}")
    return value


def _check_new_id(seen: dict[str, Any], item_id: str, path: Path, line_number: int) -> None:
    if item_id in seen:
        raise UserError(f"{path}:{line_number}: duplicate _id {item_id!r}; every _id must be unique in the file")


def _read_corpus(path: Path) -> dict[str, BeirDocument]:
    corpus: dict[str, BeirDocument] = {}
    for line_number, record in _json_lines(path):
        doc_id = _string_field(record, "_id", path, line_number, required=True)
        _check_new_id(corpus, doc_id, path, line_number)
        title = _string_field(record, "title", path, line_number, required=False)
        text = _string_field(record, "text", path, line_number, required=True)
        corpus[doc_id] = BeirDocument(doc_id, title, text)
    return corpus


def _read_queries(path: Path) -> dict[str, BeirQuery]:
    queries: dict[str, BeirQuery] = {}
    for line_number, record in _json_lines(path):
        query_id = _string_field(record, "_id", path, line_number, required=True)
        _check_new_id(queries, query_id, path, line_number)
        queries[query_id] = BeirQuery(query_id, _string_field(record, "text", path, line_number, required=True))
    return queries


def _read_qrels(
    path: Path, queries: dict[str, BeirQuery], corpus: dict[str, BeirDocument]
) -> dict[str, dict[str, int]]:
    if not path.is_file():
        raise UserError(f"{path}: file not found; pass a split that has a qrels/<split>.tsv file")
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle, delimiter="\t")
        header = tuple(cell.strip() for cell in next(rows, []))
        if header != QRELS_HEADER:
            raise UserError(f"{path}:1: expected the header {' '.join(QRELS_HEADER)!r} (tab-separated), got {header}")
        for line_number, row in enumerate(rows, start=2):
            if not row:
                continue
            if len(row) != 3:
                raise UserError(f"{path}:{line_number}: expected 3 tab-separated columns, got {len(row)}: {row}")
            query_id, doc_id, score_text = row
            try:
                score = int(score_text)
            except ValueError:
                raise UserError(f"{path}:{line_number}: score {score_text!r} is not an integer relevance") from None
            if query_id not in queries:
                raise UserError(
                    f"{path}:{line_number}: query-id {query_id!r} is not in queries.jsonl; add it or drop the line"
                )
            if doc_id not in corpus:
                raise UserError(
                    f"{path}:{line_number}: corpus-id {doc_id!r} is not in corpus.jsonl; add it or drop the line"
                )
            judged = qrels.setdefault(query_id, {})
            if doc_id in judged:
                raise UserError(f"{path}:{line_number}: ({query_id!r}, {doc_id!r}) is judged twice; keep one line")
            judged[doc_id] = score
    return qrels


def load_beir(folder: str | Path, split: str = "test") -> BeirDataset:
    """Read ``folder`` (corpus.jsonl, queries.jsonl, qrels/<split>.tsv) and check it is consistent.

    Raises:
        UserError: a file is missing or malformed, an id repeats, or a judgement names a query or
            document the folder does not have. The message names the file and line.
    """
    root = Path(folder)
    corpus = _read_corpus(root / "corpus.jsonl")
    queries = _read_queries(root / "queries.jsonl")
    return BeirDataset(corpus, queries, _read_qrels(root / "qrels" / f"{split}.tsv", queries, corpus))
