"""The JSON API's answers, as plain dicts: parameter checks, filters, paging, joins.

Kept apart from the web framework (``assay.app.server`` only turns these dicts and exceptions into
responses), so each answer can be read and tested without a server. The contract is in
``docs/app.md`` (## API).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assay.app._benchmark import STATUS_FILTERS, BenchmarkSamples, item_of
from assay.app._compare import compare_tables
from assay.app._eval_run import EvalRun
from assay.app._journal_index import SCORED
from assay.app._paths import NotInsideRoot, OutputsRoot
from assay.app._runs import SORT_KEYS, RunStore
from assay.app._search import search_mask

__all__ = ["MAX_PAGE", "Api", "BadRequest"]

#: Most samples one page may ask for.
MAX_PAGE = 500
#: Most runs one comparison may hold.
MAX_COMPARED = 5
_RUN_PARTS = ("report", "samples", "images")


class BadRequest(ValueError):
    """A malformed query parameter (shown to clients as a 400)."""


class Request(Protocol):
    """What the API reads of a request (Starlette's ``Request`` fits)."""

    @property
    def query_params(self) -> Any: ...

    @property
    def path_params(self) -> dict[str, Any]: ...


class Api:
    """The endpoints over one outputs root; see the module docstring."""

    def __init__(self, root: OutputsRoot) -> None:
        self.store = RunStore(root)

    def runs(self, request: Request) -> dict[str, Any]:
        """``GET /api/runs?q=&sort=created|model|score&order=asc|desc``."""
        params = request.query_params
        sort = params.get("sort") or "created"
        order = params.get("order") or "desc"
        if sort not in SORT_KEYS:
            raise BadRequest(f"sort must be one of {', '.join(SORT_KEYS)}")
        if order not in ("asc", "desc"):
            raise BadRequest("order must be asc or desc")
        return {"runs": self.store.listing(params.get("q") or "", sort, order == "desc")}

    def run_resource(self, request: Request) -> dict[str, Any] | Path:
        """``/api/runs/{id}/report``, ``.../samples``, ``.../samples/{benchmark}/{key}`` and
        ``.../images/{sha256}`` (a file: the copy of a prompt's image the run kept).

        Run ids contain slashes, so the id is the shortest prefix before ``report`` or ``samples``
        that names an eval run.
        """
        parts = str(request.path_params["rest"]).split("/")
        for i, part in enumerate(parts):
            if part not in _RUN_PARTS or i == 0:
                continue
            run_id = "/".join(parts[:i])
            try:
                run = self.store.eval_run(run_id)
            except NotInsideRoot:
                continue
            rest = parts[i + 1 :]
            if part == "report" and not rest:
                return self._report(run_id, run)
            if part == "samples" and not rest:
                return self._samples(run, request)
            if part == "samples" and len(rest) >= 2:
                return self._sample(run, rest[0], "/".join(rest[1:]))
            if part == "images" and len(rest) == 1:
                return self._image(run, rest[0])
        raise NotInsideRoot("not found")

    def _report(self, run_id: str, run: EvalRun) -> dict[str, Any]:
        return {"id": run_id, "model": run.model(), "reports": run.reports(), "config": run.config()}

    def _samples(self, run: EvalRun, request: Request) -> dict[str, Any]:
        params = request.query_params
        bench = _benchmark(run, params.get("benchmark"))
        status = params.get("status") or "all"
        if status not in STATUS_FILTERS:
            raise BadRequest(f"status must be one of {', '.join(STATUS_FILTERS)}")
        offset = _integer(params, "offset", 0)
        limit = min(_integer(params, "limit", 50), MAX_PAGE)
        table = bench.table()
        mask = table.status_mask(status)
        subset = params.get("subset")
        if subset:
            code = table.subsets.index(subset) if subset in table.subsets else -1
            mask &= table.subset == code
        query = (params.get("q") or "").strip()
        if query:
            mask &= search_mask(bench, table, query)
        rows = np.flatnonzero(mask)
        page = rows[offset : offset + limit]
        records = table.records(int(row) for row in page)
        items = [
            item_of(record, float(table.value[row]), int(table.status[row]))
            for row, record in zip(page, records, strict=True)
            if record is not None
        ]
        return {"total": len(rows), "offset": offset, "limit": limit, "items": items}

    def _sample(self, run: EvalRun, benchmark: str, key: str) -> dict[str, Any]:
        bench = _benchmark(run, benchmark)
        review, prediction = bench.review(key), bench.prediction(key)
        if review is None and prediction is None:
            raise NotInsideRoot(f"no sample {key!r} in {benchmark}")
        return {"prediction": prediction, "review": review, "kept_images": sorted(run.kept_images(prediction))}

    def _image(self, run: EvalRun, sha256: str) -> Path:
        path = run.image(sha256)
        if path is None:
            raise NotInsideRoot(f"the run kept no copy of image {sha256[:64]!r}")
        return path

    def compare(self, request: Request) -> dict[str, Any]:
        """``GET /api/compare?runs=ID1,ID2[,ID3]&benchmark=B``."""
        ids = [i for i in (request.query_params.get("runs") or "").split(",") if i]
        if not 2 <= len(ids) <= MAX_COMPARED or len(set(ids)) != len(ids):
            raise BadRequest(f"runs must list 2 to {MAX_COMPARED} different run ids, comma-separated")
        name = request.query_params.get("benchmark")
        runs = [self.store.eval_run(run_id) for run_id in ids]
        benches = [_benchmark(run, name) for run in runs]
        tables = [bench.table() for bench in benches]
        pairs, disagreements = compare_tables(ids, tables)
        entries = []
        for run_id, run, table in zip(ids, runs, tables, strict=True):
            scored = table.value[(table.status == SCORED) & ~np.isnan(table.value)]
            report_score = (run.reports().get(str(name)) or {}).get("score")
            score = report_score if isinstance(report_score, (int, float)) else None
            if score is None and len(scored):
                score = float(scored.mean())
            entries.append({"id": run_id, "model": run.model(), "score": score, "n": len(scored)})
        return {"benchmark": name, "runs": entries, "pairs": pairs, "disagreements": disagreements}

    def sweep(self, request: Request) -> dict[str, Any]:
        """``GET /api/sweeps/{id}``: an eval sweep's models × benchmarks grid, with each member's run id."""
        return self.store.eval_sweep(str(request.path_params["run_id"])).payload()

    def perf(self, request: Request) -> dict[str, Any]:
        """``GET /api/perf/{id}``: a perf run or sweep."""
        return self.store.perf_run(str(request.path_params["run_id"])).payload()


def _benchmark(run: EvalRun, name: str | None) -> BenchmarkSamples:
    if not name:
        raise BadRequest("benchmark is required")
    bench = run.samples(name)
    if bench is None:
        raise NotInsideRoot(f"run {run.id} has no benchmark {name!r}")
    return bench


def _integer(params: Any, name: str, default: int) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number") from None
    if value < 0:
        raise BadRequest(f"{name} must not be negative")
    return value
