"""Run-level serving metrics: pure functions of the raw request records.

``compute_run_metrics`` turns one run's :class:`RequestRecord` list (and what the API plugin parsed
from each) into EvalScope's ``benchmark_summary.json`` and ``benchmark_percentile.json`` numbers,
under EvalScope's names, plus Assay's own (failures by class, token-count provenance, open-loop
latency from the intended send time). The same records always give the same numbers, so a run
recomputed from its SQLite file reproduces its summary exactly.

Rules that hold for every metric (formulas: ``docs/perf_metrics.md``):

* warmup records are ignored entirely; cancelled ones (Ctrl-C, end of ``--duration``) are not
  requests the server answered, so they count in no total, only in their own counter;
* failed requests never enter a latency, TTFT, ITL, TPOT or token statistic;
* a statistic with no samples is ``0`` in the summary and ``None`` in the percentiles, never NaN.

Example:
    >>> rec = RequestRecord(0, 0, None, start_ns=0, end_ns=2_000_000_000)
    >>> m = compute_run_metrics([rec], [ParsedResponse(token_event_ns=[500_000_000])],
    ...                         parallel=1, rate=-1, open_loop=False)
    >>> m.summary["Avg TTFT (ms)"], m.summary["Req Throughput (req/s)"]
    (500.0, 0.5)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from assay.perf import _keys as K
from assay.perf._percentiles import PERCENTILE_LABELS, distribution_curve, percentile_column
from assay.perf._records import Outcome, ParsedResponse, RequestRecord
from assay.perf._request_metrics import (
    RequestMetrics,
    TokenCount,
    TokenCounter,
    effective_outcome,
    request_metrics,
)

Scalar = float | int | str | None
NS_PER_S = 1e9
NS_PER_MS = 1e6
#: Summary keys of an API that scores items rather than generating (``--api rerank``: documents;
#: ``--api embeddings``: the texts embedded).
ITEM_THROUGHPUT = "Item Throughput (items/s)"
AVG_ITEMS_PER_REQUEST = "Avg Items per Request"


@dataclass(slots=True)
class ScoredItems(ParsedResponse):
    """What an API plugin reads from the answer of a request that scored items (a rerank's documents,
    the vectors of an embedding request)."""

    #: Items the server scored for this request (rerank: the documents sent, whatever ``top_n``
    #: returned; embeddings: the vectors returned).
    items: int = 0


#: Requests sent a second time because their body could not be written to a connection the server
#: had closed, before any answer (see :mod:`assay.perf.client`); failed or not, cancelled excluded.
BODY_WRITE_RETRIES = "Requests resent after a stale connection"

_FAILURE_KEYS: dict[Outcome, str] = {
    Outcome.HTTP_ERROR: K.FAILED_HTTP_ERROR,
    Outcome.TIMEOUT: K.FAILED_TIMEOUT,
    Outcome.BROKEN_STREAM: K.FAILED_BROKEN_STREAM,
    Outcome.MALFORMED: K.FAILED_MALFORMED,
    Outcome.CONNECT_ERROR: K.FAILED_CONNECT_ERROR,
}


class RunMetrics(BaseModel):
    """Everything one run reports, ready to be written or printed."""

    model_config = ConfigDict(frozen=True)

    summary: dict[str, Scalar] = Field(description="EvalScope's benchmark_summary.json keys, in its order.")
    assay_summary: dict[str, Scalar] = Field(description="Assay's own summary numbers (written after EvalScope's).")
    percentiles: dict[str, list[Scalar]] = Field(
        description="benchmark_percentile.json transposed: 'Percentiles' labels, then one column per metric."
    )
    distributions: dict[str, list[float]] = Field(
        default_factory=dict, description="Quantiles every 0.5 % of TTFT, latency, ITL, TPOT (report charts)."
    )
    extra_summary: dict[str, Scalar] = Field(
        default_factory=dict, description="Added by the engine, e.g. the client self-check verdict."
    )

    def percentile_rows(self) -> list[dict[str, Scalar]]:
        """The percentiles as EvalScope writes ``benchmark_percentile.json``: one dict per percentile."""
        columns = list(self.percentiles.items())
        return [{key: values[i] for key, values in columns} for i in range(len(PERCENTILE_LABELS))]

    def full_summary(self) -> dict[str, Scalar]:
        """EvalScope's keys first (so readers of its files see them in place), then ours, then the engine's."""
        return {**self.summary, **self.assay_summary, **self.extra_summary}

    def with_extra(self, extra: Mapping[str, Scalar]) -> RunMetrics:
        """A copy carrying the engine's extra summary entries (merged over any already present)."""
        return self.model_copy(update={"extra_summary": {**self.extra_summary, **extra}})


def _mean(total: float, n: int) -> float:
    """``total / n``, and 0 for no samples: the summary never holds NaN."""
    return total / n if n else 0.0


def _window_ns(records: Sequence[RequestRecord]) -> int:
    """Measured window: first send to last end over the counted records (failures included).

    Cancelled records stay out: a request abandoned after a long drain would stretch the window
    with time in which nothing was measured. Records without a valid interval are skipped.
    """
    valid = [r for r in records if r.start_ns <= r.end_ns]
    if not valid:
        return 0
    return max(r.end_ns for r in valid) - min(r.start_ns for r in valid)


def _failure_counts(outcomes: Sequence[tuple[Outcome, int | None]]) -> dict[str, Scalar]:
    """Failures by class, and by HTTP status for HTTP errors (every class present, zero or not)."""
    by_class = Counter(outcome for outcome, _ in outcomes)
    result: dict[str, Scalar] = {key: by_class.get(outcome, 0) for outcome, key in _FAILURE_KEYS.items()}
    statuses = Counter(status for outcome, status in outcomes if outcome is Outcome.HTTP_ERROR)
    for status, n in sorted(statuses.items(), key=lambda item: (item[0] is None, item[0] or 0)):
        result[f"{K.FAILED_HTTP_STATUS_PREFIX}{status if status is not None else 'unknown'}"] = n
    return result


def _token_source(counts: Sequence[TokenCount]) -> str:
    """One source name, or ``mixed (...)`` with how many requests each source counted."""
    sources = Counter(c.source for c in counts)
    if not sources:
        return "none"
    if len(sources) == 1:
        return next(iter(sources))
    return "mixed (" + ", ".join(f"{s} {n}" for s, n in sources.most_common()) + ")"


def _token_summary(ok: Sequence[RequestMetrics]) -> dict[str, Scalar]:
    """Where token counts came from, and how far the tokenizer was from the server where both exist."""
    result: dict[str, Scalar] = {
        K.INPUT_TOKENS_SOURCE: _token_source([m.input_tokens for m in ok]),
        K.OUTPUT_TOKENS_SOURCE: _token_source([m.output_tokens for m in ok]),
    }
    checked = [m for m in ok if m.input_tokens.discrepancy is not None or m.output_tokens.discrepancy is not None]
    result[K.TOKEN_CHECKED_REQUESTS] = len(checked)
    for key_mean, key_max, pick in (
        (K.INPUT_TOKEN_DIFF_MEAN, K.INPUT_TOKEN_DIFF_MAX, lambda m: m.input_tokens.discrepancy),
        (K.OUTPUT_TOKEN_DIFF_MEAN, K.OUTPUT_TOKEN_DIFF_MAX, lambda m: m.output_tokens.discrepancy),
    ):
        diffs = [d for d in map(pick, ok) if d is not None]
        result[key_mean] = round(sum(diffs) / len(diffs), 4) if diffs else None
        result[key_max] = max(map(abs, diffs)) if diffs else None
    return result


def _ttft_population(ok: Sequence[RequestMetrics]) -> list[int]:
    """TTFT samples: streamed replies with output; a run with none falls back to non-streamed ones.

    This is EvalScope's rule (a non-streamed request's TTFT is its latency, which would drown the
    streamed TTFTs in a mixed run), minus its bug of counting empty streamed replies as TTFT 0.
    """
    streamed = [m.ttft_ns for m in ok if m.stream and m.ttft_ns is not None]
    if streamed or any(m.stream for m in ok):
        return streamed
    return [m.ttft_ns for m in ok if m.ttft_ns is not None]


class _Itl:
    """Every inter-token gap of the successful streamed replies, pooled across requests.

    Per-chunk ITL is the gap between two successive output events; per-token ITL divides each gap
    by the tokens of the event that closed it, and that value counts once per such token (weight).
    An event count of the wrong length, or none, means one token per event. Vectorised: one pass
    over all events of the run, gaps across two requests masked out.
    """

    def __init__(self, parsed_ok: Sequence[ParsedResponse]) -> None:
        lengths = [len(p.token_event_ns) for p in parsed_ok]
        total = sum(lengths)
        events = np.fromiter(chain.from_iterable(p.token_event_ns for p in parsed_ok), np.int64, total)
        tokens = np.fromiter(chain.from_iterable(map(_event_tokens, parsed_ok)), np.int64, total)
        owner = np.repeat(np.arange(len(lengths)), lengths)
        same_request = owner[1:] == owner[:-1]
        self.gaps_ns = np.diff(events)[same_request]
        self.tokens = np.maximum(tokens[1:][same_request], 1)
        self.per_token_ns = self.gaps_ns / self.tokens

    def avg_per_chunk_ms(self) -> float:
        """Mean gap (EvalScope's ``Avg ITL``: pooled over all gaps, not a mean of per-request means)."""
        return _mean(int(self.gaps_ns.sum()), self.gaps_ns.size) / NS_PER_MS

    def avg_per_token_ms(self) -> float:
        """Token-weighted mean of gap / tokens = total decode gap time / tokens that closed a gap."""
        return _mean(int(self.gaps_ns.sum()), int(self.tokens.sum())) / NS_PER_MS


def _event_tokens(parsed: ParsedResponse) -> list[int]:
    """Tokens carried by each output event: the plugin's counts, or one each when it has none."""
    if len(parsed.tokens_per_event) == len(parsed.token_event_ns):
        return parsed.tokens_per_event
    return [1] * len(parsed.token_event_ns)


def _open_loop_summary(
    counted: Sequence[RequestRecord], ok_records: Sequence[RequestRecord]
) -> tuple[dict[str, Scalar], dict[str, list[Scalar]]]:
    """Send-schedule fidelity and coordinated-omission-free latency for an open-loop run.

    Schedule lag covers every request sent (the client's lateness does not depend on the answer);
    latency from the intended send time covers successes only, like every latency.
    """
    scheduled = [r for r in counted if r.intended_ns is not None]
    lags = [r.start_ns - r.intended_ns for r in scheduled if r.intended_ns is not None]
    from_intended = [r.end_ns - r.intended_ns for r in ok_records if r.intended_ns is not None]
    starts = sorted(r.start_ns for r in scheduled)
    span = starts[-1] - starts[0] if starts else 0
    summary: dict[str, Scalar] = {
        K.ACHIEVED_SEND_RATE: round((len(starts) - 1) / (span / NS_PER_S), 4) if span > 0 else 0.0,
        K.AVG_LATENCY_FROM_INTENDED_S: round(_mean(sum(from_intended), len(from_intended)) / NS_PER_S, 4),
        K.AVG_SCHEDULE_LAG_MS: round(_mean(sum(lags), len(lags)) / NS_PER_MS, 4),
        K.MAX_SCHEDULE_LAG_MS: round(max(lags) / NS_PER_MS, 4) if lags else 0.0,
    }
    columns: dict[str, list[Scalar]] = {
        K.P_LATENCY_FROM_INTENDED_S: list(percentile_column(from_intended, scale=NS_PER_S)),
        K.P_SCHEDULE_LAG_MS: list(percentile_column(lags, scale=NS_PER_MS)),
    }
    return summary, columns


def _request_size_summary(counted: Sequence[RequestRecord]) -> dict[str, Scalar]:
    """How much each request carried: body bytes and images, over every request sent.

    Failed requests count, since their bytes were sent all the same; a run without requests is 0.
    """
    sizes = [r.request_bytes for r in counted]
    images = sum(r.images for r in counted)
    return {
        K.AVG_REQUEST_BYTES: round(_mean(sum(sizes), len(sizes)), 1),
        K.MAX_REQUEST_BYTES: max(sizes, default=0),
        K.AVG_IMAGES_PER_REQUEST: round(_mean(images, len(counted)), 4),
        K.TOTAL_IMAGES: images,
    }


def _int_column(values: Sequence[int]) -> list[Scalar]:
    """Token-count percentiles stay integers, as EvalScope writes them."""
    return [None if v is None else int(v) for v in percentile_column(values)]


def _percentiles(ok: Sequence[RequestMetrics], ttft: Sequence[int], itl: _Itl) -> dict[str, list[Scalar]]:
    """EvalScope's percentile columns (successful requests only), then per-token ITL."""
    tpot = [m.tpot_ns for m in ok if m.tpot_ns is not None]
    timed = [m for m in ok if m.latency_ns > 0]
    columns: dict[str, list[Scalar]] = {
        K.PERCENTILES: list(PERCENTILE_LABELS),
        K.P_LATENCY_S: list(percentile_column([m.latency_ns for m in ok], scale=NS_PER_S)),
        K.P_TTFT_MS: list(percentile_column(ttft, scale=NS_PER_MS)),
        K.P_ITL_MS: list(percentile_column(itl.gaps_ns, scale=NS_PER_MS)),
        K.P_TPOT_MS: list(percentile_column(tpot, scale=NS_PER_MS)),
        K.P_INPUT_TOKENS: _int_column([m.input_tokens.value for m in ok]),
        K.P_OUTPUT_TOKENS: _int_column([m.output_tokens.value for m in ok]),
        K.P_OUTPUT_THROUGHPUT: list(
            percentile_column([m.output_tokens.value * NS_PER_S / m.latency_ns for m in timed])
        ),
        K.P_TOTAL_THROUGHPUT: list(
            percentile_column([(m.input_tokens.value + m.output_tokens.value) * NS_PER_S / m.latency_ns for m in timed])
        ),
        K.P_DECODE_THROUGHPUT: list(percentile_column([NS_PER_S / t for t in tpot if t > 0])),
        K.P_ITL_PER_TOKEN_MS: list(percentile_column(itl.per_token_ns, scale=NS_PER_MS, weights=itl.tokens)),
    }
    return columns


def _evalscope_summary(
    ok: Sequence[RequestMetrics],
    counted: Sequence[RequestRecord],
    ttft: Sequence[int],
    itl: _Itl,
    window_ns: int,
    *,
    parallel: int,
    rate: float,
) -> dict[str, Scalar]:
    """EvalScope's summary keys, values rounded as EvalScope rounds them (4 digits; 2 for ms)."""
    n = len(ok)
    window_s = window_ns / NS_PER_S
    input_total = sum(m.input_tokens.value for m in ok)
    output_total = sum(m.output_tokens.value for m in ok)
    tpot = [m.tpot_ns for m in ok if m.tpot_ns is not None]
    stream_n = sum(1 for r in counted if r.stream)
    summary: dict[str, Scalar] = {
        K.TEST_DURATION_S: round(window_s, 4),
        K.CONCURRENCY: parallel,
        K.REQUEST_RATE: float(rate),
        K.TOTAL_REQUESTS: len(counted),
        K.SUCCESS_REQUESTS: n,
        K.FAILED_REQUESTS: len(counted) - n,
        K.STREAM_REQUESTS: stream_n,
        K.NON_STREAM_REQUESTS: len(counted) - stream_n,
        K.REQUEST_THROUGHPUT: round(n / window_s, 4) if window_s > 0 else 0.0,
        K.AVG_LATENCY_S: round(_mean(sum(m.latency_ns for m in ok), n) / NS_PER_S, 4),
        K.AVG_INPUT_TOKENS: round(_mean(input_total, n), 4),
        K.OUTPUT_THROUGHPUT: round(output_total / window_s, 4) if window_s > 0 else 0.0,
        K.TOTAL_THROUGHPUT: round((input_total + output_total) / window_s, 4) if window_s > 0 else 0.0,
        K.AVG_TTFT_MS: round(_mean(sum(ttft), len(ttft)) / NS_PER_MS, 2),
        K.AVG_TPOT_MS: round(_mean(sum(tpot), len(tpot)) / NS_PER_MS, 2),
        K.AVG_ITL_MS: round(itl.avg_per_chunk_ms(), 2),
        K.AVG_OUTPUT_TOKENS: round(_mean(output_total, n), 4),
        K.INPUT_THROUGHPUT: round(input_total / window_s, 4) if window_s > 0 else 0.0,
    }
    decoded = [m.decoded_per_iter for m in ok if m.decoded_per_iter is not None and m.decoded_per_iter > 1]
    if decoded:
        per_iter = sum(decoded) / len(decoded)
        summary[K.AVG_DECODED_TOKENS_PER_ITER] = round(per_iter, 4)
        summary[K.SPEC_ACCEPT_RATE] = round(max(0.0, min(1.0, 1.0 - 1.0 / per_iter)), 4)
    return summary


def _item_summary(parsed_ok: Sequence[ParsedResponse], n: int, window_ns: int) -> dict[str, Scalar]:
    """Items scored per second and per request, over the successes; written only when some scored items."""
    scored = [p.items for p in parsed_ok if isinstance(p, ScoredItems)]
    if not scored:
        return {}
    window_s = window_ns / NS_PER_S
    return {
        ITEM_THROUGHPUT: round(sum(scored) / window_s, 4) if window_s > 0 else 0.0,
        AVG_ITEMS_PER_REQUEST: round(_mean(sum(scored), n), 4),
    }


def _split(
    records: Sequence[RequestRecord], parsed: Sequence[ParsedResponse]
) -> tuple[list[tuple[RequestRecord, ParsedResponse, Outcome]], int]:
    """Drop warmup; separate cancelled records (counted apart) from requests that got an answer."""
    if len(records) != len(parsed):
        raise ValueError(f"{len(records)} records but {len(parsed)} parsed responses")
    judged = [(r, p, effective_outcome(r, p)) for r, p in zip(records, parsed, strict=True) if not r.warmup]
    counted = [item for item in judged if item[2] is not Outcome.CANCELLED]
    return counted, len(judged) - len(counted)


def compute_run_metrics(
    records: Sequence[RequestRecord],
    parsed: Sequence[ParsedResponse],
    *,
    parallel: int,
    rate: float,
    open_loop: bool,
    token_counter: TokenCounter | None = None,
) -> RunMetrics:
    """Compute one run's summary, percentiles and distribution curves from its raw records.

    Args:
        records: Every record of the run, warmup included (it is skipped here), any order.
        parsed: ``parsed[i]`` is the API plugin's reading of ``records[i]``.
        parallel: The run's concurrency (EvalScope's ``Concurrency``).
        rate: The run's target request rate; ``-1`` for a closed-loop run, as in EvalScope.
        open_loop: Add latency from the intended send time and schedule lag.
        token_counter: Tokenizer used when the server sent no usage, and to check it when it did.

    Returns:
        The run's metrics; throughputs use the window from the first send to the last end.
    """
    counted, n_cancelled = _split(records, parsed)
    ok_pairs = [(r, p) for r, p, outcome in counted if outcome is Outcome.OK]
    ok = [request_metrics(r, p, token_counter) for r, p in ok_pairs]
    ttft = _ttft_population(ok)
    itl = _Itl([p for r, p in ok_pairs if r.stream])
    counted_records = [r for r, _, _ in counted]
    window_ns = _window_ns(counted_records)
    summary = _evalscope_summary(ok, counted_records, ttft, itl, window_ns, parallel=parallel, rate=rate)
    percentiles = _percentiles(ok, ttft, itl)
    assay: dict[str, Scalar] = {
        K.CANCELLED_REQUESTS: n_cancelled,
        **_failure_counts([(outcome, r.status) for r, _, outcome in counted if outcome is not Outcome.OK]),
        BODY_WRITE_RETRIES: sum(r.body_write_retries for r in counted_records),
        K.SUCCESS_WITHOUT_OUTPUT: sum(1 for m in ok if m.stream and m.ttft_ns is None),
        K.AVG_ITL_PER_TOKEN_MS: round(itl.avg_per_token_ms(), 4),
        **_token_summary(ok),
        **_request_size_summary(counted_records),
        **_item_summary([p for _, p in ok_pairs], len(ok), window_ns),
    }
    if open_loop:
        lag_summary, lag_columns = _open_loop_summary(counted_records, [r for r, _ in ok_pairs])
        assay.update(lag_summary)
        percentiles.update(lag_columns)
    distributions = {
        K.P_TTFT_MS: distribution_curve(ttft, scale=NS_PER_MS),
        K.P_LATENCY_S: distribution_curve([m.latency_ns for m in ok], scale=NS_PER_S),
        K.P_ITL_MS: distribution_curve(itl.gaps_ns, scale=NS_PER_MS),
        K.P_TPOT_MS: distribution_curve([m.tpot_ns for m in ok if m.tpot_ns is not None], scale=NS_PER_MS),
    }
    return RunMetrics(summary=summary, assay_summary=assay, percentiles=percentiles, distributions=distributions)
