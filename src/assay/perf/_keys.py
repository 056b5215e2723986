"""The names of every number ``assay perf`` writes, EvalScope's first, then ours.

EvalScope's names are copied from EvalScope 1.14.1, ``evalscope/perf/utils/perf_constants.py``
(classes ``Metrics`` and ``PercentileMetrics``); the order of the summary keys is the field order
of ``BenchmarkSummary`` in ``evalscope/perf/utils/perf_models.py``, which is the order its
``benchmark_summary.json`` is written in. Scripts and dashboards that read EvalScope's files read
ours unchanged. Our own keys never reuse an EvalScope name for a different quantity.
"""

from __future__ import annotations

# ---- benchmark_summary.json: EvalScope 1.14.1 (perf_constants.Metrics) ---------------------------
TEST_DURATION_S = "Test Duration (s)"
CONCURRENCY = "Concurrency"
REQUEST_RATE = "Request Rate (req/s)"
TOTAL_REQUESTS = "Total Requests"
SUCCESS_REQUESTS = "Success Requests"
FAILED_REQUESTS = "Failed Requests"
STREAM_REQUESTS = "Stream Requests"
NON_STREAM_REQUESTS = "Non-Stream Requests"
REQUEST_THROUGHPUT = "Req Throughput (req/s)"
AVG_LATENCY_S = "Avg Latency (s)"
AVG_INPUT_TOKENS = "Avg Input Tokens"
OUTPUT_THROUGHPUT = "Output Throughput (tok/s)"
TOTAL_THROUGHPUT = "Total Throughput (tok/s)"
AVG_TTFT_MS = "Avg TTFT (ms)"
AVG_TPOT_MS = "Avg TPOT (ms)"
AVG_ITL_MS = "Avg ITL (ms)"
AVG_OUTPUT_TOKENS = "Avg Output Tokens"
INPUT_THROUGHPUT = "Input Throughput (tok/s)"
#: Written by EvalScope only when some request decoded more than one token per streamed event.
AVG_DECODED_TOKENS_PER_ITER = "Avg Decoded Tok/Iter"
SPEC_ACCEPT_RATE = "Spec. Accept Rate"

#: Every key EvalScope 1.14.1 always writes for a text-generation run, in its order.
EVALSCOPE_SUMMARY_KEYS: tuple[str, ...] = (
    TEST_DURATION_S,
    CONCURRENCY,
    REQUEST_RATE,
    TOTAL_REQUESTS,
    SUCCESS_REQUESTS,
    FAILED_REQUESTS,
    STREAM_REQUESTS,
    NON_STREAM_REQUESTS,
    REQUEST_THROUGHPUT,
    AVG_LATENCY_S,
    AVG_INPUT_TOKENS,
    OUTPUT_THROUGHPUT,
    TOTAL_THROUGHPUT,
    AVG_TTFT_MS,
    AVG_TPOT_MS,
    AVG_ITL_MS,
    AVG_OUTPUT_TOKENS,
    INPUT_THROUGHPUT,
)

# ---- benchmark_percentile.json: EvalScope 1.14.1 (perf_constants.PercentileMetrics) ---------------
PERCENTILES = "Percentiles"
P_LATENCY_S = "Latency (s)"
P_TTFT_MS = "TTFT (ms)"
P_ITL_MS = "ITL (ms)"
P_TPOT_MS = "TPOT (ms)"
P_INPUT_TOKENS = "Input tokens"
P_OUTPUT_TOKENS = "Output tokens"
P_OUTPUT_THROUGHPUT = "Output (tok/s)"
P_TOTAL_THROUGHPUT = "Total (tok/s)"
P_DECODE_THROUGHPUT = "Decode (tok/s)"

#: EvalScope's percentile columns for a text-generation run, in the order of ``PercentileRow``.
EVALSCOPE_PERCENTILE_KEYS: tuple[str, ...] = (
    PERCENTILES,
    P_LATENCY_S,
    P_TTFT_MS,
    P_ITL_MS,
    P_TPOT_MS,
    P_INPUT_TOKENS,
    P_OUTPUT_TOKENS,
    P_OUTPUT_THROUGHPUT,
    P_TOTAL_THROUGHPUT,
    P_DECODE_THROUGHPUT,
)

# ---- ours: percentile columns ------------------------------------------------------------------
P_ITL_PER_TOKEN_MS = "ITL per token (ms)"
P_LATENCY_FROM_INTENDED_S = "Latency from intended send (s)"
P_SCHEDULE_LAG_MS = "Schedule lag (ms)"

# ---- ours: summary keys (after EvalScope's in benchmark_summary.json) ---------------------------
CANCELLED_REQUESTS = "Cancelled Requests (not counted)"
FAILED_HTTP_ERROR = "Failed: HTTP error"
FAILED_TIMEOUT = "Failed: timeout"
FAILED_BROKEN_STREAM = "Failed: broken stream"
FAILED_MALFORMED = "Failed: malformed"
FAILED_CONNECT_ERROR = "Failed: connect error"
#: Prefix of one key per HTTP status seen, e.g. ``Failed: HTTP 429``.
FAILED_HTTP_STATUS_PREFIX = "Failed: HTTP "
SUCCESS_WITHOUT_OUTPUT = "Success Requests without output"
AVG_ITL_PER_TOKEN_MS = "Avg ITL per token (ms)"
INPUT_TOKENS_SOURCE = "Input tokens source"
OUTPUT_TOKENS_SOURCE = "Output tokens source"
TOKEN_CHECKED_REQUESTS = "Token count checked requests"
INPUT_TOKEN_DIFF_MEAN = "Input token discrepancy, tokenizer - usage (mean)"
INPUT_TOKEN_DIFF_MAX = "Input token discrepancy (max abs)"
OUTPUT_TOKEN_DIFF_MEAN = "Output token discrepancy, tokenizer - usage (mean)"
OUTPUT_TOKEN_DIFF_MAX = "Output token discrepancy (max abs)"
ACHIEVED_SEND_RATE = "Achieved send rate (req/s)"
AVG_LATENCY_FROM_INTENDED_S = "Avg latency from intended send (s)"
AVG_SCHEDULE_LAG_MS = "Avg schedule lag (ms)"
MAX_SCHEDULE_LAG_MS = "Max schedule lag (ms)"
#: What each request carried (every request sent and not cancelled, failures included): body bytes as
#: sent (JSON, images inline as base64) and ``image_url`` parts.
AVG_REQUEST_BYTES = "Avg Request Bytes"
MAX_REQUEST_BYTES = "Max Request Bytes"
AVG_IMAGES_PER_REQUEST = "Avg Images per Request"
TOTAL_IMAGES = "Total Images"
