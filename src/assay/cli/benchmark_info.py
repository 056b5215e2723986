"""``assay benchmark-info``: list benchmarks, or describe one."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``benchmark-info`` to the ``assay`` parser."""
    p = sub.add_parser("benchmark-info", help="list benchmarks or describe one")
    p.add_argument("name", nargs="?", help="benchmark to describe")
    p.add_argument("--list", action="store_true", help="one benchmark per line, name first")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the list (``--list`` or no name) or one benchmark's card."""
    from assay.benchmarks import get_benchmark_meta, list_benchmarks

    if args.list or not args.name:
        for meta in list_benchmarks():
            subsets = len(meta.subset_list)
            print(
                f"{meta.name}\t{meta.pretty_name}\t{subsets} subset{'s' if subsets != 1 else ''}\t{','.join(meta.tags)}"
            )
        return 0
    meta = get_benchmark_meta(args.name)
    fields = [
        ("name", meta.name),
        ("pretty name", meta.pretty_name),
        ("version", meta.version),
        ("dataset", f"{meta.dataset_id} (revision {meta.dataset_revision or 'unpinned'})"),
        ("splits", f"eval={meta.eval_split} train={meta.train_split}"),
        ("subsets", ", ".join(meta.subset_list)),
        ("few-shot", f"{meta.few_shot_num} ({'random' if meta.few_shot_random else 'first'})"),
        ("metrics", ", ".join(meta.metric_list)),
        ("aggregation", meta.aggregation),
    ]
    for label, value in fields:
        print(f"{label:>12}: {value}")
    print()
    print(meta.description.strip())
    print("\nprompt template:\n" + (meta.prompt_template or "(none)"))
    return 0
