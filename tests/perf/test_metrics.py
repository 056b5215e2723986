"""Run metrics from hand-built records with known timestamps: every value checked by hand."""

from __future__ import annotations

import json
import math
import random

import pytest

from assay.perf._percentiles import nearest_rank
from assay.perf._records import Outcome, ParsedResponse, RequestRecord
from assay.perf.metrics import RunMetrics, compute_run_metrics
from tests.perf.metrics_helpers import failed_record, non_stream_record, ns, parse_all, stream_record

#: benchmark_summary.json keys of a text-generation run in EvalScope 1.14.1, in its order, copied from
#: evalscope/perf/utils/perf_constants.py (class Metrics) and the field order of BenchmarkSummary in
#: evalscope/perf/utils/perf_models.py (its to_dict writes "Input Throughput (tok/s)" as 0.0 too).
EVALSCOPE_SUMMARY_KEYS = [
    "Test Duration (s)",
    "Concurrency",
    "Request Rate (req/s)",
    "Total Requests",
    "Success Requests",
    "Failed Requests",
    "Stream Requests",
    "Non-Stream Requests",
    "Req Throughput (req/s)",
    "Avg Latency (s)",
    "Avg Input Tokens",
    "Output Throughput (tok/s)",
    "Total Throughput (tok/s)",
    "Avg TTFT (ms)",
    "Avg TPOT (ms)",
    "Avg ITL (ms)",
    "Avg Output Tokens",
    "Input Throughput (tok/s)",
]
#: benchmark_percentile.json row keys, from perf_constants.PercentileMetrics in PercentileRow's order.
EVALSCOPE_PERCENTILE_KEYS = [
    "Percentiles",
    "Latency (s)",
    "TTFT (ms)",
    "ITL (ms)",
    "TPOT (ms)",
    "Input tokens",
    "Output tokens",
    "Output (tok/s)",
    "Total (tok/s)",
    "Decode (tok/s)",
]
LABELS = ["min", "1%", "5%", "10%", "25%", "50%", "75%", "90%", "95%", "99%", "max"]


def _mixed_run() -> list[RequestRecord]:
    """Three successes, an HTTP 500, a timeout, a warmup and a cancelled request (times in ms)."""
    return [
        stream_record(1, 0, [50, 60, 70, 80], 85, usage=(10, 4)),
        stream_record(2, 10, [40, 60, 100], 100, tokens=[1, 1, 2], usage=(20, 4)),
        stream_record(3, 20, [120], 130, usage=(30, 1)),
        failed_record(4, 5, 15, Outcome.HTTP_ERROR, status=500),
        failed_record(5, 30, 200, Outcome.TIMEOUT),
        stream_record(6, -100, [-80], -50, usage=(1, 1), warmup=True),
        failed_record(7, 150, 210, Outcome.CANCELLED),
    ]


def _compute(records: list[RequestRecord], **kwargs: object) -> RunMetrics:
    options: dict[str, object] = {"parallel": 4, "rate": -1, "open_loop": False, **kwargs}
    return compute_run_metrics(records, parse_all(records), **options)  # type: ignore[arg-type]


def test_summary_values_match_hand_computed_formulas() -> None:
    m = _compute(_mixed_run())
    assert m.summary == {
        "Test Duration (s)": 0.2,  # first start 0 ms .. last end 200 ms (the timeout; not the cancelled one)
        "Concurrency": 4,
        "Request Rate (req/s)": -1.0,
        "Total Requests": 5,  # warmup and cancelled not counted
        "Success Requests": 3,
        "Failed Requests": 2,
        "Stream Requests": 5,
        "Non-Stream Requests": 0,
        "Req Throughput (req/s)": 15.0,  # 3 / 0.2
        "Avg Latency (s)": 0.095,  # (85 + 90 + 110) / 3 ms
        "Avg Input Tokens": 20.0,
        "Output Throughput (tok/s)": 45.0,  # 9 / 0.2
        "Total Throughput (tok/s)": 345.0,  # 69 / 0.2
        "Avg TTFT (ms)": 60.0,  # (50 + 30 + 100) / 3
        "Avg TPOT (ms)": 15.83,  # ((85-50)/3 + (90-30)/3) / 2; one-token reply has no TPOT
        "Avg ITL (ms)": 18.0,  # gaps 10,10,10,20,40 pooled
        "Avg Output Tokens": 3.0,
        "Input Throughput (tok/s)": 300.0,  # 60 / 0.2
        "Avg Decoded Tok/Iter": 1.5,  # request 2: (4-1)/(3-1); request 1 has 1.0 and is left out
        "Spec. Accept Rate": 0.3333,
    }


def test_percentiles_are_nearest_rank_over_successes_only() -> None:
    p = _compute(_mixed_run()).percentiles
    assert p["Percentiles"] == LABELS
    assert p["TTFT (ms)"] == [30.0] * 5 + [50.0] + [100.0] * 5
    assert p["Latency (s)"] == [0.085] * 5 + [0.09] + [0.11] * 5
    assert p["ITL (ms)"] == [10.0] * 6 + [20.0] + [40.0] * 4
    assert p["TPOT (ms)"] == [11.6667] * 6 + [20.0] * 5
    assert p["Input tokens"] == [10] * 5 + [20] + [30] * 5
    assert p["Output tokens"] == [1] * 5 + [4] * 6
    assert p["Output (tok/s)"][5] == 44.4444  # 4 tokens / 0.09 s
    assert p["Decode (tok/s)"] == [50.0] * 6 + [85.7143] * 5  # 1 / TPOT


def test_itl_is_reported_per_chunk_and_per_token() -> None:
    m = _compute(_mixed_run())
    # Request 2's last event carries 2 tokens over a 40 ms gap: per chunk 40 ms, per token 20 ms twice.
    assert m.summary["Avg ITL (ms)"] == 18.0  # 90 ms / 5 gaps
    assert m.assay_summary["Avg ITL per token (ms)"] == 15.0  # 90 ms / 6 tokens
    assert m.percentiles["ITL per token (ms)"] == [10.0] * 6 + [20.0] * 5
    assert m.percentiles["ITL (ms)"][-1] == 40.0


def test_failures_are_counted_by_class_and_never_enter_latency() -> None:
    records = _mixed_run()
    m = _compute(records)
    assert m.assay_summary["Failed: HTTP error"] == 1
    assert m.assay_summary["Failed: HTTP 500"] == 1
    assert m.assay_summary["Failed: timeout"] == 1
    assert m.assay_summary["Failed: broken stream"] == 0
    assert m.assay_summary["Cancelled Requests (not counted)"] == 1
    # The 170 ms timeout and the 10 ms 500 are nowhere in the latency distribution.
    assert m.percentiles["Latency (s)"][0] == 0.085 and m.percentiles["Latency (s)"][-1] == 0.11
    only_successes = _compute(records[:3])
    assert only_successes.percentiles == {**m.percentiles}
    assert only_successes.summary["Avg Latency (s)"] == m.summary["Avg Latency (s)"]


def test_requests_resent_after_a_stale_connection_are_counted_outside_warmup() -> None:
    resent = stream_record(1, 0, [50], 60, usage=(10, 1))
    resent.body_write_retries = 1
    warm = stream_record(2, 0, [50], 60, usage=(10, 1), warmup=True)
    warm.body_write_retries = 1
    m = _compute([resent, warm, stream_record(3, 0, [50], 60, usage=(10, 1))])
    assert m.assay_summary["Requests resent after a stale connection"] == 1
    assert m.summary["Success Requests"] == 2  # a resent request that then succeeded is a success


def test_parse_failures_turn_a_200_into_a_failure() -> None:
    cut = stream_record(8, 0, [20, 30], 40, usage=(5, 2), done=False)  # no [DONE]: broken stream
    bad = stream_record(9, 0, [25], 50, usage=(5, 1))
    bad.chunks[0] = b"data: {not json\n\n"
    m = _compute([*_mixed_run()[:3], cut, bad])
    assert m.summary["Success Requests"] == 3
    assert m.summary["Failed Requests"] == 2
    assert m.assay_summary["Failed: broken stream"] == 1
    assert m.assay_summary["Failed: malformed"] == 1
    assert m.percentiles["TTFT (ms)"][0] == 30.0


def test_no_successes_gives_zeros_and_counts_never_nan() -> None:
    records = [failed_record(1, 0, 10, Outcome.CONNECT_ERROR), failed_record(2, 0, 30, Outcome.HTTP_ERROR, status=429)]
    m = _compute(records)
    assert m.summary["Success Requests"] == 0 and m.summary["Failed Requests"] == 2
    assert m.summary["Test Duration (s)"] == 0.03
    for key in ("Req Throughput (req/s)", "Avg Latency (s)", "Avg TTFT (ms)", "Avg TPOT (ms)", "Avg ITL (ms)"):
        assert m.summary[key] == 0.0
    assert m.assay_summary["Failed: HTTP 429"] == 1 and m.assay_summary["Failed: connect error"] == 1
    assert all(v is None for k, col in m.percentiles.items() if k != "Percentiles" for v in col)
    json.dumps(m.full_summary(), allow_nan=False)  # raises on NaN
    json.dumps(m.percentile_rows(), allow_nan=False)


def test_empty_run_gives_zeros() -> None:
    m = compute_run_metrics([], [], parallel=1, rate=-1, open_loop=True)
    assert m.summary["Total Requests"] == 0 and m.summary["Test Duration (s)"] == 0.0
    assert m.assay_summary["Achieved send rate (req/s)"] == 0.0
    json.dumps(m.full_summary(), allow_nan=False)


def test_single_sample_is_every_percentile() -> None:
    m = _compute([stream_record(1, 0, [42], 50, usage=(3, 1))])
    assert m.percentiles["TTFT (ms)"] == [42.0] * 11
    assert m.percentiles["ITL (ms)"] == [None] * 11  # one event: no gap
    assert m.percentiles["TPOT (ms)"] == [None] * 11  # one token: no decode phase
    assert m.summary["Avg TPOT (ms)"] == 0.0


def test_tokenizer_is_the_fallback_and_discrepancy_is_reported() -> None:
    def words(text: str) -> int:
        return len(text.split())

    with_usage = stream_record(1, 0, [10, 20], 30, usage=(7, 3), prompt="one two three four five")
    without_usage = stream_record(2, 0, [10, 20, 30], 40, prompt="one two three")
    m = _compute([with_usage, without_usage], token_counter=words)
    # Request 2: no usage, so the tokenizer counts its 3 "tok" words and its 3-word prompt.
    assert m.percentiles["Output tokens"] == [3] * 11
    assert m.summary["Avg Output Tokens"] == 3.0  # (3 usage + 3 tokenizer) / 2
    assert m.summary["Avg Input Tokens"] == 5.0  # (7 usage + 3 tokenizer) / 2
    assert m.assay_summary["Output tokens source"] == "mixed (server usage 1, tokenizer 1)"
    # Request 1 has both: tokenizer says 2 output tokens vs usage 3, 5 prompt tokens vs usage 7.
    assert m.assay_summary["Token count checked requests"] == 1
    assert m.assay_summary["Output token discrepancy, tokenizer - usage (mean)"] == -1.0
    assert m.assay_summary["Output token discrepancy (max abs)"] == 1
    assert m.assay_summary["Input token discrepancy, tokenizer - usage (mean)"] == -2.0


def test_stream_events_count_tokens_when_nothing_else_can() -> None:
    m = _compute([stream_record(1, 0, [10, 20], 30, tokens=[1, 3])])
    assert m.summary["Avg Output Tokens"] == 4.0
    assert m.assay_summary["Output tokens source"] == "stream events"
    assert m.assay_summary["Input tokens source"] == "none"


def test_prompt_source_count_and_token_ids_are_used_before_the_tokenizer() -> None:
    by_source = stream_record(1, 0, [10], 20, prompt="x", prompt_tokens_expected=128)
    by_ids = stream_record(2, 0, [10], 20, prompt=[1, 2, 3, 4])
    m = _compute([by_source, by_ids], token_counter=lambda text: 999)
    assert m.summary["Avg Input Tokens"] == 66.0


def test_open_loop_reports_latency_from_intended_send_and_schedule_lag() -> None:
    records = [
        stream_record(1, 0, [20], 50, usage=(1, 1), intended_ms=0),
        stream_record(2, 12, [30], 40, usage=(1, 1), intended_ms=10),  # sent 2 ms late
        failed_record(3, 26, 30, Outcome.HTTP_ERROR, status=503, intended_ms=20),  # 6 ms late
    ]
    m = _compute(records, open_loop=True, rate=100.0)
    assert m.summary["Request Rate (req/s)"] == 100.0
    assert m.assay_summary["Avg schedule lag (ms)"] == round(8 / 3, 4)  # failures were sent late too
    assert m.assay_summary["Max schedule lag (ms)"] == 6.0
    assert m.assay_summary["Achieved send rate (req/s)"] == round(2 / 0.026, 4)
    assert m.assay_summary["Avg latency from intended send (s)"] == 0.04  # (50 + 30) / 2 ms, successes only
    assert m.percentiles["Latency from intended send (s)"] == [0.03] * 6 + [0.05] * 5
    assert m.percentiles["Schedule lag (ms)"] == [0.0] * 5 + [2.0] + [6.0] * 5


def test_closed_loop_has_no_open_loop_columns() -> None:
    m = _compute(_mixed_run())
    assert "Schedule lag (ms)" not in m.percentiles
    assert "Avg schedule lag (ms)" not in m.assay_summary


def test_non_streamed_ttft_is_latency_and_tpot_undefined() -> None:
    m = _compute([non_stream_record(1, 0, 200, (10, 3)), non_stream_record(2, 0, 100, (10, 3))])
    assert m.summary["Avg TTFT (ms)"] == 150.0
    assert m.summary["Avg TPOT (ms)"] == 0.0 and m.summary["Avg ITL (ms)"] == 0.0
    assert m.summary["Non-Stream Requests"] == 2
    assert m.percentiles["TPOT (ms)"] == [None] * 11


def test_streamed_ttft_ignores_non_streamed_requests_and_empty_replies() -> None:
    empty = stream_record(3, 0, [], 5, usage=(4, 0))
    m = _compute([stream_record(1, 0, [30], 60, usage=(1, 1)), non_stream_record(2, 0, 500, (1, 1)), empty])
    assert m.summary["Avg TTFT (ms)"] == 30.0  # EvalScope would count the empty reply as TTFT 0
    assert m.assay_summary["Success Requests without output"] == 1
    assert m.summary["Success Requests"] == 3


def test_record_order_does_not_matter() -> None:
    records = _mixed_run()
    shuffled = records[:]
    random.Random(3).shuffle(shuffled)
    assert _compute(shuffled) == _compute(records)


def test_records_and_parsed_must_align() -> None:
    with pytest.raises(ValueError, match="parsed"):
        compute_run_metrics(_mixed_run(), [ParsedResponse()], parallel=1, rate=-1, open_loop=False)


def _evalscope_nearest_rank(data: list[float], p: int) -> float:
    """EvalScope 1.14.1 db_util.calculate_percentiles, restated: rank ceil(n * p / 100), p >= 100 is the max."""
    data = sorted(data)
    if p >= 100:
        return data[-1]
    return data[max(0, math.ceil(len(data) * p / 100) - 1)]


@pytest.mark.parametrize("n", [1, 2, 3, 7, 10, 99, 100, 101, 1000])
def test_percentile_method_equals_evalscope(n: int) -> None:
    rng = random.Random(n)
    data = [rng.random() for _ in range(n)]
    ps = [0, 1, 5, 10, 25, 50, 75, 90, 95, 99, 100]
    assert nearest_rank(data, [p * 10 for p in ps]) == [_evalscope_nearest_rank(data, p) for p in ps]


def test_weighted_percentile_equals_expanded_samples() -> None:
    rng = random.Random(5)
    values = [rng.random() for _ in range(50)]
    weights = [rng.randint(1, 4) for _ in range(50)]
    expanded = [v for v, w in zip(values, weights, strict=True) for _ in range(w)]
    points = list(range(0, 1001, 5))
    assert nearest_rank(values, points, weights) == nearest_rank(expanded, points)


def test_key_names_are_evalscope_s() -> None:
    m = _compute(_mixed_run())
    assert list(m.summary)[: len(EVALSCOPE_SUMMARY_KEYS)] == EVALSCOPE_SUMMARY_KEYS
    assert list(m.percentile_rows()[0])[: len(EVALSCOPE_PERCENTILE_KEYS)] == EVALSCOPE_PERCENTILE_KEYS
    assert not set(m.assay_summary) & set(EVALSCOPE_SUMMARY_KEYS)


def test_nanosecond_timestamps_are_not_rounded_away() -> None:
    base = stream_record(1, 0, [50], 60, usage=(1, 1))
    base.chunk_ns[0] += 1  # one nanosecond later
    parsed = parse_all([base])
    assert parsed[0].token_event_ns[0] - base.start_ns == 50 * 1_000_000 + 1
    m = compute_run_metrics([base], parsed, parallel=1, rate=-1, open_loop=False)
    assert m.distributions["TTFT (ms)"][0] == 50.000001
    assert ns(0) > 10**12
