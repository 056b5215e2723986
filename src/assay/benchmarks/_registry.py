"""The benchmark registry: names to (meta, adapter class), and building an adapter from ``dataset_args``.

Built-in benchmarks are listed in a name -> module table and imported the first time they are
asked for, so ``import assay.benchmarks`` stays instant. Third-party benchmarks register with the
same decorator EvalScope uses::

    @register_benchmark(BenchmarkMeta(name="my_bench", ...))
    class MyBenchmark(MultipleChoiceAdapter): ...
"""

from __future__ import annotations

import functools
import importlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from assay.benchmarks._base import BenchmarkAdapter, template_placeholders
from assay.benchmarks._meta import BenchmarkMeta
from assay.datasets import check_hub
from assay.errors import UserError, did_you_mean
from assay.scoring.scorer import scorer_names

logger = logging.getLogger("assay")


@functools.cache
def _builtin_modules() -> dict[str, str]:
    """Built-in benchmarks: every public module ``assay/benchmarks/<name>.py`` registers ``<name>``.

    Found by listing the package folder (no import), so adding a benchmark is adding one module,
    and ``assay --help`` still imports none of them.
    """
    import pkgutil

    from assay import benchmarks

    return {
        info.name: f"assay.benchmarks.{info.name}"
        for info in pkgutil.iter_modules(benchmarks.__path__)
        if not info.name.startswith("_")
    }


#: ``dataset_args[<benchmark>]`` keys we accept: EvalScope's, plus ``dataset_revision`` to pin data.
DATASET_ARGS_KEYS: tuple[str, ...] = (
    "local_path",
    "dataset_id",
    "dataset_revision",
    "subset_list",
    "few_shot_num",
    "few_shot_random",
    "train_split",
    "eval_split",
    "prompt_template",
    "few_shot_prompt_template",
    "query_template",
    "system_prompt",
    "filters",
    "metric_list",
    "aggregation",
    "shuffle",
    "shuffle_choices",
    "extra_params",
)

AdapterClass = TypeVar("AdapterClass", bound=type[BenchmarkAdapter])


@dataclass(frozen=True)
class _Entry:
    meta: BenchmarkMeta
    adapter_cls: type[BenchmarkAdapter]


_REGISTRY: dict[str, _Entry] = {}


def register_benchmark(meta: BenchmarkMeta) -> Callable[[AdapterClass], AdapterClass]:
    """Class decorator that registers an adapter under ``meta.name``.

    A meta that names no ``scorers`` gets the adapter class's ``default_scorers``.

    Raises:
        ValueError: The name is taken by another class, or ``meta`` lists metrics no scorer of it
            computes or template placeholders the adapter does not support (a bug in the benchmark,
            not a user mistake).
    """

    def decorator(cls: AdapterClass) -> AdapterClass:
        declared = meta if meta.scorers else meta.model_copy(update={"scorers": dict(cls.default_scorers)})
        _check_declaration(declared, cls)
        existing = _REGISTRY.get(meta.name)
        if existing is not None and _qualified(existing.adapter_cls) != _qualified(cls):
            raise ValueError(f"benchmark {meta.name!r} is already registered by {_qualified(existing.adapter_cls)}")
        _REGISTRY[meta.name] = _Entry(declared, cls)
        return cls

    return decorator


def get_benchmark_meta(name: str) -> BenchmarkMeta:
    """The declared meta of a benchmark (before any ``dataset_args``).

    Raises:
        UserError: Unknown name, with the closest known name suggested.
    """
    return _entry(name).meta


def list_benchmarks() -> list[BenchmarkMeta]:
    """Metas of every built-in and registered benchmark, sorted by name."""
    for module in _builtin_modules().values():
        importlib.import_module(module)
    return [_REGISTRY[name].meta for name in sorted(_REGISTRY)]


def build_adapter(
    name: str,
    dataset_args: Mapping[str, Any] | None = None,
    *,
    dataset_dir: Path | None = None,
    dataset_hub: str = "huggingface",
    seed: int | None = None,
) -> BenchmarkAdapter:
    """Build the adapter for one benchmark from the user's ``dataset_args[name]``.

    Args:
        name: Benchmark name (``gsm8k``).
        dataset_args: EvalScope-style overrides (``few_shot_num``, ``local_path`` ...).
        dataset_dir: Folder holding one sub-folder per benchmark (``<dataset_dir>/gsm8k/``), used as
            ``local_path`` when that is not given and the sub-folder exists; otherwise the hub is used.
        dataset_hub: ``huggingface`` (default), ``modelscope``, or ``local`` (local files only).
        seed: Run seed for the ``shuffle`` / ``few_shot_random`` / ``shuffle_choices`` options.

    Raises:
        UserError: Unknown benchmark, unknown or invalid ``dataset_args`` key or value.

    Example:
        >>> adapter = build_adapter("gsm8k", {"few_shot_num": 0})
        >>> adapter.meta.few_shot_num, adapter.meta.dataset_id
        (0, 'openai/gsm8k')
    """
    entry = _entry(name)
    check_hub(dataset_hub)
    args = dict(dataset_args or {})
    for key in args:
        if key not in DATASET_ARGS_KEYS:
            raise UserError(
                f"unknown dataset_args key {key!r} for {name}{did_you_mean(key, DATASET_ARGS_KEYS)}; "
                f"valid keys: {', '.join(DATASET_ARGS_KEYS)}"
            )
    given = frozenset(args)
    updates = _translate(entry, args)
    updates.update(_data_location(entry.meta, updates, given, dataset_dir, dataset_hub))
    try:
        meta = entry.meta.with_overrides(updates)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise UserError(f"invalid dataset_args for {name}: {problems}") from exc
    meta = entry.adapter_cls.finalize_meta(meta, given)
    _check_templates(meta, entry.adapter_cls, user_error=True)
    adapter = entry.adapter_cls(meta, dataset_hub=dataset_hub, seed=seed)
    adapter.build_scorers()  # a scorer that refuses its metrics or options is reported now, before any data
    return adapter


# ---------------------------------------------------------------------------------------------- helpers
def _entry(name: str) -> _Entry:
    builtin = _builtin_modules()
    if name not in _REGISTRY and name in builtin:
        importlib.import_module(builtin[name])
    entry = _REGISTRY.get(name)
    if entry is None:
        known = sorted(set(_REGISTRY) | set(builtin))
        raise UserError(f"unknown benchmark {name!r}{did_you_mean(name, known)}; available: {', '.join(known)}")
    return entry


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _translate(entry: _Entry, args: dict[str, Any]) -> dict[str, Any]:
    """Map user ``dataset_args`` to meta updates, checking what pydantic cannot."""
    meta, name = entry.meta, entry.meta.name
    updates = {k: v for k, v in args.items() if k not in ("filters", "metric_list", "extra_params", "subset_list")}
    if args.get("query_template") is not None:
        raise UserError(f"query_template is not used by {name} (EvalScope ignores it too); use prompt_template instead")
    if isinstance(updates.get("local_path"), PathLike):
        updates["local_path"] = str(updates["local_path"])
    if "local_path" in updates and not updates["local_path"]:
        del updates["local_path"]  # EvalScope treats an empty local_path as unset
    if "subset_list" in args:
        updates["subset_list"] = _subsets(meta, args["subset_list"])
    if "metric_list" in args:
        updates["metric_list"], updates["metric_args"] = _metrics(entry, args["metric_list"])
        added = [m for m in updates["metric_list"] if m not in meta.scorers]
        if added:  # registered scorers picked by name: each computes the metric it is named after
            updates["scorers"] = {**meta.scorers, **{m: m for m in added}}
    if "filters" in args:
        user_filters = args["filters"] or {}
        if not isinstance(user_filters, Mapping):
            raise UserError(f"filters for {name} must be a mapping of filter name to arguments, got {user_filters!r}")
        # EvalScope runs the user's filters before the benchmark's own.
        updates["filters"] = {
            **user_filters,
            **{k: v for k, v in meta.filters.items() if k not in user_filters},
        }
    if "extra_params" in args:
        updates["extra_params"] = _extra_params(meta, args["extra_params"])
    return updates


def _subsets(meta: BenchmarkMeta, value: Any) -> list[str]:
    subsets = [value] if isinstance(value, str) else value
    if not isinstance(subsets, list | tuple) or not subsets or not all(isinstance(s, str) for s in subsets):
        raise UserError(f"subset_list for {meta.name} must be a non-empty list of names, got {value!r}")
    if meta.available_subsets is not None:
        for subset in subsets:
            if subset not in meta.available_subsets:
                raise UserError(
                    f"unknown subset {subset!r} for {meta.name}{did_you_mean(subset, meta.available_subsets)}"
                    f"; available: {', '.join(meta.available_subsets)}"
                )
    return list(dict.fromkeys(subsets))


def _metrics(entry: _Entry, value: Any) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """The metric names (and EvalScope-style options) of a user's ``metric_list``.

    A name is a metric the benchmark offers, or the name of any registered scorer (yours included),
    which then computes the metric it is named after.
    """
    name, supported = entry.meta.name, list(entry.meta.scorers)
    entries = [value] if isinstance(value, str | Mapping) else value
    if not isinstance(entries, list | tuple) or not entries:
        raise UserError(f"metric_list for {name} must be a non-empty list, got {value!r}")
    names: list[str] = []
    options: dict[str, dict[str, Any]] = {}
    for item in entries:
        if isinstance(item, Mapping) and len(item) == 1:
            metric, metric_options = next(iter(item.items()))
            options[str(metric)] = dict(metric_options or {})
        elif isinstance(item, str):
            metric = item
        else:
            raise UserError(f"metric_list entries for {name} are names or {{name: options}}, got {item!r}")
        if metric not in supported and metric not in scorer_names():
            raise UserError(
                f"unknown metric {metric!r} for {name}{did_you_mean(str(metric), supported)}; "
                f"it offers {', '.join(supported)}, or name a registered scorer"
            )
        names.append(str(metric))
    return names, options


def _extra_params(meta: BenchmarkMeta, value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise UserError(f"extra_params for {meta.name} must be a mapping, got {value!r}")
    merged = dict(meta.extra_params)
    for key, param in value.items():
        if key not in meta.extra_params:
            known = list(meta.extra_params)
            raise UserError(
                f"unknown extra_params key {key!r} for {meta.name}{did_you_mean(key, known)}; "
                f"valid keys: {', '.join(known) or 'none'}"
            )
        default = meta.extra_params[key]
        if isinstance(default, bool) and not isinstance(param, bool):
            raise UserError(f"extra_params.{key} for {meta.name} must be true or false, got {param!r}")
        merged[key] = param
    return merged


#: (benchmark, dataset_dir) pairs whose fall-back to the hub was already said (checks and plans both ask).
_SAID_HUB_FALLBACK: set[tuple[str, str]] = set()


def _data_location(
    meta: BenchmarkMeta, updates: dict[str, Any], given: frozenset[str], dataset_dir: Path | None, hub: str
) -> dict[str, Any]:
    """Where the data comes from: local folder, or which hub id and revision.

    A revision pin belongs to the declared dataset on the Hugging Face hub, so it is dropped for a
    local copy, another dataset id or ModelScope unless the user gives one.
    """
    location: dict[str, Any] = {}
    if "local_path" not in updates and dataset_dir is not None:
        folders = [Path(dataset_dir) / name for name in (meta.name, *meta.dataset_dir_names)]
        found = next((folder for folder in folders if folder.exists()), None)
        if found is not None:
            location["local_path"] = str(found)
        elif hub != "local" and (meta.name, str(dataset_dir)) not in _SAID_HUB_FALLBACK:
            # Never a silent swap: the user named a local root, and this benchmark is not in it.
            _SAID_HUB_FALLBACK.add((meta.name, str(dataset_dir)))
            logger.warning(
                "%s: no %s under --dataset-dir; reading it from the %s hub (--dataset-hub local requires local copies)",
                meta.name,
                folders[0],
                hub,
            )
    is_local = "local_path" in updates or "local_path" in location
    if hub == "local" and not is_local:
        raise UserError(
            f"dataset_hub is 'local' but no local data for {meta.name}: set local_path in dataset_args or "
            f"--dataset-dir so that <dir>/{meta.name}/ exists ({meta.local_layout})"
        )
    if hub == "modelscope" and "dataset_id" not in given and meta.modelscope_dataset_id:
        location["dataset_id"] = meta.modelscope_dataset_id
    pinned_elsewhere = is_local or hub == "modelscope" or "dataset_id" in given
    if pinned_elsewhere and "dataset_revision" not in given:
        location["dataset_revision"] = None
    return location


def _check_declaration(meta: BenchmarkMeta, cls: type[BenchmarkAdapter]) -> None:
    unsupported = [m for m in meta.metric_list if m not in meta.scorers]
    if unsupported:
        raise ValueError(f"{meta.name}: no scorer of {cls.__qualname__} computes metrics {unsupported}")
    _check_templates(meta, cls, user_error=False)


def _check_templates(meta: BenchmarkMeta, cls: type[BenchmarkAdapter], *, user_error: bool) -> None:
    """Every placeholder known, the required ones present, ``{fewshot}`` where examples go."""
    error: type[Exception] = UserError if user_error else ValueError
    checks = [("prompt_template", meta.prompt_template, cls.required_template_fields)]
    if meta.few_shot_prompt_template is not None:
        checks.append(
            (
                "few_shot_prompt_template",
                meta.few_shot_prompt_template,
                cls.required_template_fields | {"fewshot"},
            )
        )
    for field, template, required in checks:
        found = template_placeholders(template)
        unknown = found - cls.template_fields
        if unknown:
            raise error(
                f"{field} of {meta.name} uses unknown placeholder(s) {sorted(unknown)}; allowed: "
                f"{sorted(cls.template_fields)} (write {{{{ and }}}} for literal braces)"
            )
        missing = required - found
        if missing and (field == "prompt_template" or meta.few_shot_num > 0):
            raise error(f"{field} of {meta.name} must contain {', '.join('{' + m + '}' for m in sorted(missing))}")
