"""Embedding and rerank evaluation: the metrics and data readers that MTEB-style tasks score with.

Everything here is pure and model-free, so the engine can call it on vectors and rankings it already
has: :mod:`assay.embed.metrics` (retrieval metrics with trec_eval's exact semantics),
:mod:`assay.embed.search` (exact cosine top-k), :mod:`assay.embed.sts` (Spearman / Pearson of cosine
similarity), :mod:`assay.embed.pair_classification` (threshold accuracy, F1 and AP of
cosine similarity) and :mod:`assay.embed.beir` (the BEIR folder layout).
"""
