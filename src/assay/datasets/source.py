"""``DataSource``: where a benchmark's records come from, for every benchmark, in one place.

A benchmark *describes* its data with a :class:`DataSpec` (its upstream release files, a reader for a
format the shared readers do not know, how subsets map to hub configurations, whether a column names
a record's subset); a :class:`DataSource` built from that spec and the effective meta does the rest:

* **Local files** (``local_path`` / ``--dataset-dir``): the upstream release layout first, then the
  layouts of a Hugging Face snapshot or a hand-made folder (``<subset>/<split>.jsonl``, hub parquet
  shards, EvalScope's ``<subset>_<split>.csv`` and ``<subset>.jsonl``).
* **The hub** (Hugging Face or ModelScope), with the declared revision pinned.
* **Subsets that are values of a column** (MMLU's ``subject`` on the hub, SuperGPQA's ``field``,
  MATH's ``level``): the file or hub configuration holding every subset is read once, and each
  subset keeps its rows. A per-subset file without the column is taken whole.

Every (subset, split) read is recorded in :attr:`DataSource.origins` with its exact location and
revision, which the report lists. Every problem a user can fix is a one-line ``UserError`` that
names the files looked for and the fix.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from assay.datasets.hub import load_hub_split
from assay.datasets.local import SUPPORTED_SUFFIXES, hf_style_candidates, read_split_files
from assay.errors import UserError

if TYPE_CHECKING:
    from assay.benchmarks._meta import BenchmarkMeta

Record = dict[str, Any]
Purpose = Literal["eval", "fewshot"]


class LocalFile(NamedTuple):
    """A local file that may hold a split; ``fieldnames`` names the columns of a header-less CSV.

    ``parts`` are further files whose records follow ``path``'s, for a split an upstream release
    stores in several files (LiveCodeBench's ``release_v3`` is ``test.jsonl``, ``test2.jsonl`` and
    ``test3.jsonl``). ``path`` alone decides whether the layout is present; a missing part is then
    an error naming it, not a silent subset of the split.
    """

    path: Path
    fieldnames: Sequence[str] | None = None
    parts: tuple[Path, ...] = ()


@dataclass(frozen=True)
class SplitOrigin:
    """Where the records of one (subset, split) were read from, for the report."""

    subset: str
    split: str
    location: str
    """Local file path, or hub dataset id."""
    hub: str | None = None
    """``huggingface`` / ``modelscope``; None for local files."""
    revision: str | None = None
    resolved_revision: str | None = None


def read_local_file(found: LocalFile) -> list[Record]:
    """All records of one local file with the shared readers (JSONL, JSON, CSV, TSV, Parquet shards)."""
    return read_split_files(found.path, fieldnames=found.fieldnames)


@dataclass(frozen=True)
class DataSpec:
    """How a benchmark's data is laid out; declared once per adapter class as ``data = DataSpec(...)``.

    Example:
        >>> spec = DataSpec(upstream=lambda root, subset, split: [LocalFile(root / f"{split}.jsonl")])
        >>> [str(f.path) for f in spec.upstream(Path("gsm8k"), "main", "test")]
        ['gsm8k/test.jsonl']
    """

    upstream: Callable[[Path, str, str], Sequence[LocalFile]] | None = None
    """Files of the upstream release that may hold ``(root, subset, split)``, tried first."""
    reader: Callable[[LocalFile], list[Record]] = read_local_file
    """Reads one local file; replace it for an upstream format the shared readers do not know."""
    subset_key: str | Callable[[Mapping[str, Any]], str] | None = None
    """A column naming each record's subset, or a function computing it: one file (or hub
    configuration) holds every subset and is read once. A column that a file lacks means the file
    is that subset's own; a function is always applied (it may raise ``UserError``)."""
    container: str = "default"
    """Name of the configuration holding every subset when ``subset_key`` is set (hub and local)."""
    whole_subset: str | None = None
    """A subset name that takes every record of the container (competition_math's ``all``)."""
    hub_route: Callable[[BenchmarkMeta, str, str], tuple[str | None, str]] | None = None
    """``(meta, subset, split) -> (hub configuration, hub split)`` where the hub names them
    differently (AMC's splits are its years); default: the subset's (or container's) configuration."""
    local_only: bool = False
    """Data comes only from the user's own files (general_qa, general_mcq), never from a hub."""


@dataclass
class DataSource:
    """Reads (subset, split) records for one benchmark run, as its :class:`DataSpec` describes.

    Args:
        meta: The effective benchmark meta (``local_path``, ``dataset_id``, revision, splits ...).
        spec: The benchmark's data description.
        hub: ``huggingface``, ``modelscope`` or ``local``.
    """

    meta: BenchmarkMeta
    spec: DataSpec
    hub: str = "huggingface"
    #: Every (subset, split) read so far, evaluated and few-shot, in reading order.
    origins: list[SplitOrigin] = field(default_factory=list)
    _containers: dict[tuple[str, str], tuple[list[Record], SplitOrigin]] = field(default_factory=dict)

    def read(self, subset: str, split: str, *, purpose: Purpose = "eval") -> tuple[list[Record], SplitOrigin]:
        """The records of ``subset`` in ``split``, in file order, and where they came from.

        Raises:
            UserError: No local file, an unreachable hub, a missing column, or a bad local path.
        """
        root = self.local_root()
        if root is None:
            records, origin = self._read_hub(subset, split, purpose)
        else:
            records, origin = self._read_local(root, subset, split, purpose)
        records = self._keep_subset(records, subset)
        self.origins.append(origin)
        return records, origin

    def local_root(self) -> Path | None:
        """The local copy to read (file or folder), or None for the hub.

        Raises:
            UserError: ``local_path`` does not exist, or the data is local-only and none was given.
        """
        meta = self.meta
        if meta.local_path is None:
            if self.spec.local_only:
                raise UserError(
                    f"{meta.name} evaluates your own files: set local_path in dataset_args, e.g. "
                    f'--dataset-args \'{{"{meta.name}": {{"local_path": "my_data"}}}}\' ({meta.local_layout})'
                )
            return None
        root = Path(meta.local_path).expanduser()
        if not root.exists():
            raise UserError(f"local_path {str(root)!r} for {meta.name} does not exist; expected {meta.local_layout}")
        return root

    def local_candidates(self, root: Path, subset: str, split: str) -> list[LocalFile]:
        """Local files that may hold ``subset``/``split`` under ``root``, most specific first.

        The upstream files, then hub-style ``<subset>/<split>.<ext>`` (and shards) and EvalScope's
        ``<subset>_<split>.<ext>``; a bare ``<split>.<ext>`` only where it cannot be mistaken for
        another subset's file (one subset, or a container read by column); ``<subset>.<ext>``
        (EvalScope's local format) only for the evaluated split, so evaluated items never become
        few-shot examples (EvalScope reads that file for both).
        """
        spec, meta = self.spec, self.meta
        single = meta.available_subsets is not None and len(meta.available_subsets) == 1
        files = list(spec.upstream(root, subset, split)) if spec.upstream is not None else []
        paths = hf_style_candidates(root, subset, split, allow_split_only=single and spec.subset_key is None)
        if spec.subset_key is not None:
            paths += hf_style_candidates(root, spec.container, split, allow_split_only=True)
        if split == meta.eval_split:
            paths += [root / f"{subset}{suffix}" for suffix in SUPPORTED_SUFFIXES]
        upstream = {f.path for f in files}
        return files + [LocalFile(path) for path in dict.fromkeys(paths) if path not in upstream]

    # ------------------------------------------------------------------ internals
    def _grouped(self, subset: str) -> bool:
        return self.spec.subset_key is not None or subset == self.spec.whole_subset

    def _keep_subset(self, records: list[Record], subset: str) -> list[Record]:
        key = self.spec.subset_key
        if key is None or subset == self.spec.whole_subset:
            return records
        if isinstance(key, str):
            if not records or key not in records[0]:
                return records  # a per-subset file: every record is this subset's
            return [r for r in records if r.get(key) == subset]
        return [r for r in records if key(r) == subset]

    def _read_hub(self, subset: str, split: str, purpose: Purpose) -> tuple[list[Record], SplitOrigin]:
        meta, spec = self.meta, self.spec
        if spec.hub_route is not None:
            config, hub_split = spec.hub_route(meta, subset, split)
        else:
            config, hub_split = (spec.container if self._grouped(subset) else subset), split
        cache_key = (config or "", hub_split)
        if cache_key not in self._containers:
            try:
                loaded = load_hub_split(
                    meta.dataset_id, config, hub_split, hub=self.hub, revision=meta.dataset_revision
                )
            except UserError as exc:
                if purpose != "fewshot":
                    raise
                raise UserError(
                    f"{exc}. The {meta.few_shot_num}-shot prompt of {meta.name} needs that split: "
                    f"set few_shot_num to 0 in dataset_args to run without examples"
                ) from exc
            origin = SplitOrigin(
                subset, hub_split, loaded.dataset_id, loaded.hub, loaded.revision, loaded.resolved_revision
            )
            if not self._grouped(subset):
                return loaded.records, origin
            self._containers[cache_key] = (loaded.records, origin)
        records, origin = self._containers[cache_key]
        return records, replace(origin, subset=subset)

    def _read_local(self, root: Path, subset: str, split: str, purpose: Purpose) -> tuple[list[Record], SplitOrigin]:
        found = self._find_local(root, subset, split)
        if found is None:
            raise self._missing_local_error(root, subset, split, purpose)
        origin = SplitOrigin(subset, split, " + ".join([str(found.path), *(part.name for part in found.parts)]))
        if not self._grouped(subset):
            return self._read_found(found, subset), origin
        cache_key = (str(found.path), "")
        if cache_key not in self._containers:
            self._containers[cache_key] = (self._read_found(found, subset), origin)
        return self._containers[cache_key][0], origin

    def _read_found(self, found: LocalFile, subset: str) -> list[Record]:
        """The records of ``found`` and then of each of its ``parts``, in order."""
        missing = [part.name for part in found.parts if not part.is_file()]
        if missing:
            names = ", ".join(path.name for path in (found.path, *found.parts))
            raise UserError(
                f"subset {subset!r} of {self.meta.name} is the files {names} in {found.path.parent}, but "
                f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing there; "
                f"expected {self.meta.local_layout}"
            )
        records = self.spec.reader(found)
        for part in found.parts:
            records = records + self.spec.reader(LocalFile(part, found.fieldnames))
        return records

    def _find_local(self, root: Path, subset: str, split: str) -> LocalFile | None:
        if root.is_file():
            # A single file stands for the evaluated split of a one-subset run (EvalScope allows it).
            usable = split == self.meta.eval_split and len(self.meta.subset_list) == 1
            return LocalFile(root) if usable else None
        return next((c for c in self.local_candidates(root, subset, split) if c.path.is_file()), None)

    def _missing_local_error(self, root: Path, subset: str, split: str, purpose: Purpose) -> UserError:
        meta = self.meta
        if root.is_file():
            return UserError(
                f"{root} is a single file, but {meta.name} needs the {split!r} split of subset "
                f"{subset!r} too; point local_path at a folder ({meta.local_layout})"
                + (" or set few_shot_num to 0 in dataset_args" if purpose == "fewshot" else "")
            )
        looked = ", ".join(str(c.path.relative_to(root)) for c in self.local_candidates(root, subset, split)[:4])
        message = (
            f"no {split!r} split for subset {subset!r} of {meta.name} under {root} "
            f"(looked for {looked}, ...); expected {meta.local_layout}"
        )
        if purpose == "fewshot":
            message += (
                f". The {meta.few_shot_num}-shot prompt takes its examples from the {split!r} split: "
                f"add that file, or set few_shot_num to 0 in dataset_args "
                f'(--dataset-args \'{{"{meta.name}": {{"few_shot_num": 0}}}}\')'
            )
        return UserError(message)
