"""Embedding evaluation (``--eval-type embedding``): tasks, the vector cache, and MTEB's metrics.

The model-free parts score vectors and rankings: :mod:`assay.embed.metrics` (retrieval metrics with
trec_eval's exact semantics), :mod:`assay.embed.search` (exact cosine top-k), :mod:`assay.embed.sts`
(Spearman / Pearson of cosine similarity), :mod:`assay.embed.pair_classification`,
:mod:`assay.embed.classification` and :mod:`assay.embed.clustering` (MTEB's protocols) and
:mod:`assay.embed.beir` (the BEIR folder layout). The run: :mod:`assay.embed.tasks` (what a task
encodes and how it is scored), :mod:`assay.embed.encoder` (de-duplicated, cached, concurrent
encoding), :mod:`assay.embed.cache` (vectors by model identity and exact text, in SQLite) and
:mod:`assay.embed.runner` (the output tree and reports, as for generation runs).
"""
