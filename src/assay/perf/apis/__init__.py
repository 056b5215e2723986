"""Built-in API plugins of ``assay perf`` (``--api``), and the pieces to write your own.

Each module registers one protocol with :func:`assay.perf.plugins.register_api` and is imported
only when its name is used: ``openai`` (chat completions), ``openai_completions``, ``embeddings``
and ``custom``. A plugin builds each request's bytes before the run and parses the raw, timestamped
chunks after it; :func:`split_events` (SSE events with their arrival times) and
:func:`parse_openai_record` (a whole OpenAI-compatible response) are the parsing parts a new plugin
can reuse. Both come from the model layer's wire readers, which the eval client uses too.
"""

from __future__ import annotations

from assay.models.sse import SseEvent, SseStream, split_events
from assay.perf.apis._openai_parse import parse_openai_record
from assay.perf.apis.custom import CustomApi

__all__ = ["CustomApi", "SseEvent", "SseStream", "parse_openai_record", "split_events"]
