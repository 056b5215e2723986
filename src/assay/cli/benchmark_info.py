"""``assay benchmark-info``: list benchmarks, or describe one (its card)."""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assay.benchmarks import BenchmarkAdapter, BenchmarkMeta
    from assay.types import Sample

#: More subsets than this are listed on one wrapped line instead of one per line.
_SUBSETS_PER_LINE_LIMIT = 8


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``benchmark-info`` to the ``assay`` parser."""
    p = sub.add_parser("benchmark-info", help="list benchmarks or describe one")
    p.add_argument("name", nargs="?", help="benchmark to describe")
    p.add_argument("--list", action="store_true", help="one benchmark per line, name first")
    p.add_argument(
        "--dataset-dir",
        type=Path,
        help="folder holding <dir>/<name>/: count and show the real local data instead of the declared numbers",
    )
    p.add_argument("--local-path", type=Path, help="the benchmark's local data (as dataset_args local_path)")
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
    local = args.dataset_dir is not None or args.local_path is not None
    adapter = _local_adapter(args) if local else _declared_adapter(meta)
    loaded = _load(adapter) if local else None  # before any output: a data error is then the only line
    _print_fields(meta)
    print()
    print(meta.description.strip())
    module_doc = sys.modules[type(adapter).__module__].__doc__
    if module_doc:
        print("\nhow it is run:\n" + textwrap.indent(module_doc.strip(), "  "))
    if loaded is not None:
        _print_loaded(adapter, loaded)
    else:
        _print_declared(meta, adapter)
    return 0


# ---------------------------------------------------------------------------------------------- card parts
def _print_fields(meta: BenchmarkMeta) -> None:
    fields = [
        ("name", meta.name),
        ("pretty name", meta.pretty_name),
        ("version", meta.version),
        ("dataset", f"{meta.dataset_id} (revision {meta.dataset_revision or 'unpinned'})"),
        ("homepage", meta.homepage or "-"),
        ("paper", meta.paper_url or "-"),
        ("license", _license_text(meta)),
        ("splits", f"eval={meta.eval_split} train={meta.train_split}"),
        ("subsets", ", ".join(meta.subset_list)),
        ("few-shot", f"{meta.few_shot_num} ({'random' if meta.few_shot_random else 'first'})"),
        ("metrics", ", ".join(meta.metric_list)),
        ("aggregation", meta.aggregation),
    ]
    for label, value in fields:
        print(f"{label:>12}: {value}")


def _license_text(meta: BenchmarkMeta) -> str:
    if meta.license is not None:
        return meta.license
    if meta.available_subsets is None:  # general_qa / general_mcq evaluate the user's files
        return "your own data"
    where = meta.homepage or f"https://huggingface.co/datasets/{meta.dataset_id}"
    return f"not stated (see {where})"


def _print_declared(meta: BenchmarkMeta, adapter: BenchmarkAdapter) -> None:
    counts = {s: meta.sample_counts[s] for s in meta.subset_list if s in meta.sample_counts}
    total = meta.sample_total if meta.sample_total is not None else sum(counts.values())
    if meta.available_subsets is None:
        print(f"\nsamples: your own data (count it with --local-path); {meta.eval_split} split")
    elif meta.sample_total is None and len(counts) < len(meta.subset_list):
        print(f"\nsamples: not stated (see {meta.homepage or meta.dataset_id})")
    else:
        print(f"\nsamples: {total} ({meta.eval_split} split{_per_subset(counts)})")
    others = {s: n for s, n in meta.sample_counts.items() if s not in meta.subset_list}
    if others:
        print("  other subsets: " + ", ".join(f"{s} {n}" for s, n in others.items()))
    example = meta.example
    if example is None:
        print("\nexample: none declared")
        return
    sample = adapter.prompted_sample(example.record, subset=example.subset or meta.subset_list[0])
    shot_note = (
        f"; shown zero-shot, the default {meta.few_shot_num}-shot prompt puts examples before it"
        if meta.few_shot_num
        else ""
    )
    _print_example(sample, f"{example.source}{shot_note}")


def _load(adapter: BenchmarkAdapter) -> dict[str, list[Sample]]:
    try:
        return adapter.load()
    except OSError as exc:  # unreadable file or folder: a user problem, not a bug
        from assay.errors import UserError

        raise UserError(f"cannot read the data of {adapter.meta.name}: {exc}") from exc


def _print_loaded(adapter: BenchmarkAdapter, loaded: dict[str, list[Sample]]) -> None:
    counts = {subset: len(samples) for subset, samples in loaded.items()}
    locations = sorted({origin.location for origin in adapter.data_sources})
    where = locations[0] if len(locations) == 1 else f"{len(locations)} files"
    print(f"\nsamples: {sum(counts.values())} loaded from {where}{_per_subset(counts, prefix='; ')}")
    first = next((samples[0] for samples in loaded.values() if samples), None)
    if first is not None:
        _print_example(first, f"first loaded sample, {adapter.meta.few_shot_num}-shot")


def _per_subset(counts: dict[str, int], prefix: str = ", ") -> str:
    if not counts:
        return ""
    entries = [f"{subset} {count}" for subset, count in counts.items()]
    if len(counts) <= _SUBSETS_PER_LINE_LIMIT:
        return prefix + ", ".join(entries)
    lines = [""]
    for entry in entries:  # pack whole "subset count" entries into lines of about 100 characters
        if lines[-1] and len(lines[-1]) + len(entry) > 96:
            lines.append("")
        lines[-1] += f"{entry}, "
    return f"{prefix}{len(counts)} subsets:\n" + "\n".join("  " + line.rstrip(", ") for line in lines)


def _print_example(sample: Sample, note: str) -> None:
    print(f"\nexample ({note}):")
    messages = sample.input if isinstance(sample.input, list) else []
    show_roles = len(messages) != 1 or messages[0].role != "user"
    for message in messages:
        if show_roles:
            print(f"[{message.role}]")
        if isinstance(message.content, str):
            print(message.content)
            continue
        # Parts: text as it is, each image as a marker where it goes (its bytes are not text).
        print("".join(p.text if p.type == "text" else f"[image: {p.source}]" for p in message.content))
    target = sample.target if isinstance(sample.target, str) else " | ".join(sample.target)
    print(f"\ntarget: {target or '(none: the reply is scored by checks, not against a gold answer)'}")


# ---------------------------------------------------------------------------------------------- adapters
def _declared_adapter(meta: BenchmarkMeta) -> BenchmarkAdapter:
    """The adapter the card renders the declared example with: zero-shot, as few-shot needs the data."""
    from assay.benchmarks import build_adapter

    return build_adapter(meta.name, {"few_shot_num": 0} if meta.few_shot_num else None)


def _local_adapter(args: argparse.Namespace) -> BenchmarkAdapter:
    """The adapter for ``--dataset-dir`` / ``--local-path``: local files only, never the hub."""
    from assay.benchmarks import build_adapter

    dataset_args = {"local_path": str(args.local_path)} if args.local_path is not None else {}
    return build_adapter(args.name, dataset_args, dataset_dir=args.dataset_dir, dataset_hub="local")
