"""``TaskConfig.models``: several models (e.g. checkpoints) evaluated in one sweep.

A sweep is one run per model with everything else shared. Each entry of ``models`` may set only
the keys that describe a model (:data:`MODEL_KEYS`); every other setting (benchmarks, limit,
repeats ...) is the shared config's, so two members can never differ in what they were asked.
Shared model keys (``api_url``, ``eval_type`` ...) are defaults an entry overrides; the dict-valued
ones (``model_args``, ``generation_config``) are merged key by key, so a shared ``max_tokens`` and a
per-model ``temperature`` combine. ``model`` and ``model_id`` name one model and are never shared.

Why entries are checked here, at config time: a typo in the third model's entry must cost
milliseconds and leave no output folder, exactly as a typo in a single run does.

Example:
    >>> normalise_models({"models": [{"model": "a"}, {"model": "b"}], "api_url": "http://h/v1"})["models"]
    [{'model': 'a'}, {'model': 'b'}]
    >>> normalise_models({"models": [{"model": "only"}]})  # one model is an ordinary run
    {'model': 'only'}
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from assay.errors import UserError, did_you_mean

if TYPE_CHECKING:
    from assay.config import TaskConfig

__all__ = ["MODEL_KEYS", "check_members", "member_config", "member_id", "normalise_models", "sweep_parallel"]

#: The keys a ``models`` entry may set: what tells one model from another.
MODEL_KEYS = (
    "model",
    "model_id",
    "api_url",
    "api_key",
    "eval_type",
    "model_args",
    "generation_config",
    "chat_template",
)
#: Model keys whose values are dicts, merged key by key with the shared config's.
_MERGED_KEYS = ("model_args", "generation_config")


def normalise_models(data: dict[str, Any]) -> dict[str, Any]:
    """Check ``models`` in raw config ``data``; a one-entry list becomes an ordinary single-model run.

    Raises:
        UserError: ``model`` given too, an entry that is not a dict or sets a non-model key.
    """
    models = data.get("models")
    if models is None:
        return data
    if not isinstance(models, list) or not models:
        raise UserError("models must be a non-empty list of {model: NAME, ...} entries, one per model")
    entries = [_check_entry(i, entry) for i, entry in enumerate(models)]
    if data.get("model") is not None:
        raise UserError("give either model (one model) or models (a sweep of several), not both")
    if len(entries) == 1:  # one model behaves exactly as --model NAME
        rest = {k: v for k, v in data.items() if k != "models"}
        return {**rest, **_merged(rest, entries[0])}
    if data.get("model_id") is not None:
        raise UserError("model_id names one model: with models, set model_id in each models entry instead")
    return {**data, "models": entries}


def _check_entry(index: int, entry: Any) -> dict[str, Any]:
    if isinstance(entry, str):
        entry = {"model": entry}
    if not isinstance(entry, dict):
        raise UserError(f"models[{index}] must be a dict of model keys ({', '.join(MODEL_KEYS)}), got {entry!r}")
    for key in entry:
        if key not in MODEL_KEYS:
            raise UserError(
                f"models[{index}] key {key!r} is not a model key{did_you_mean(str(key), MODEL_KEYS)}; a models "
                f"entry may set only {', '.join(MODEL_KEYS)} (every other key is shared by all models)"
            )
    checked: dict[str, Any] = dict(entry)
    if isinstance(checked.get("api_key"), str):  # masked in repr, dumps and saved configs, as TaskConfig.api_key
        checked["api_key"] = SecretStr(checked["api_key"])
    return checked


def _merged(shared: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """``entry`` on top of the shared config's model keys (dict-valued keys merged key by key)."""
    out = dict(entry)
    for key in _MERGED_KEYS:
        base, own = shared.get(key), entry.get(key)
        if isinstance(base, dict) and isinstance(own, dict):
            out[key] = {**base, **own}
    if isinstance(out.get("api_key"), SecretStr):
        out["api_key"] = out["api_key"].get_secret_value()
    return out


def member_id(entry: dict[str, Any]) -> str:
    """The folder and report name of one member: its ``model_id``, else its model's basename."""
    from assay.config import safe_filename

    if entry.get("model_id"):
        return str(entry["model_id"])
    model = str(entry.get("model") or "model")
    return safe_filename(os.path.basename(model.rstrip("/")) or model)


def check_members(config: TaskConfig) -> None:
    """Build every member's config once, so a mistake in any entry is reported before anything runs."""
    entries = config.models or []
    _check_member_ids(entries)
    for index, entry in enumerate(entries):
        try:
            member_config(config, entry)
        except UserError as exc:
            raise UserError(f"models[{index}] ({member_id(entry)}): {exc}") from None


def _check_member_ids(entries: list[dict[str, Any]]) -> None:
    """Refuse two members with one name: they would write one folder."""
    seen: dict[str, str] = {}
    for entry in entries:
        name = member_id(entry)
        if name in seen:
            raise UserError(
                f"two models in the sweep are both named {name!r} ({seen[name]!r} and {entry.get('model')!r}); "
                "set a distinct model_id in their models entries"
            )
        seen[name] = str(entry.get("model"))


def member_config(shared: TaskConfig, entry: dict[str, Any], **overrides: Any) -> TaskConfig:
    """One member's full config: the shared config with ``entry``'s model keys (and ``overrides``) on top."""
    from assay.config import TaskConfig

    # Only what the user gave: a sweep's shared config derives no backend defaults (see
    # TaskConfig._derive_defaults), each member derives its own from its own backend.
    data = shared.model_dump(exclude_unset=True, exclude={"models", "sweep_parallel", "model_id"})
    if shared.api_key is not None:
        data["api_key"] = shared.api_key.get_secret_value()
    data.update(_merged(data, entry))
    data["model_id"] = member_id(entry)
    data.update(overrides)
    return TaskConfig.model_validate(data)


def sweep_parallel(config: TaskConfig, members: list[TaskConfig]) -> int:
    """How many members run at once: ``sweep_parallel``, else every member when the work leaves
    this machine (Ray, or every model behind an API URL), else one at a time, because local models
    loaded side by side on one machine would fight for its memory."""
    if config.sweep_parallel is not None:
        return config.sweep_parallel
    if config.executor == "ray" or all(member.api_url for member in members):
        return len(members)
    return 1
