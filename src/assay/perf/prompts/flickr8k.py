"""``--dataset flickr8k``: one photo and its caption per request, from the webdataset ``wds_flickr8k``.

EvalScope's ``flickr8k`` (``evalscope/perf/plugin/datasets/flickr8k.py``) loads the ``test`` split
of ``clip-benchmark/wds_flickr8k`` and sends, for every sample, one user message whose text is the
sample's caption text (``<key>.txt``, as it is) and whose one image is the sample's photo.

The local copy is read in the dataset's own layout, a webdataset: tar shards in which a sample is
the members sharing a key, ``<key>.jpg`` and ``<key>.txt`` (the key is the member path up to the
first dot of its file name; a sample's members are adjacent). ``--dataset-path`` may name:

* the dataset folder, holding ``test/*.tar`` (the hub layout; only the test split is read);
* a folder of ``*.tar`` shards;
* one ``.tar`` shard.

Shards are read in natural order (``2.tar`` before ``10.tar``) with :mod:`tarfile`, one sample in
memory at a time. Without ``--dataset-path`` the shards are downloaded from the Hugging Face dataset
of the same name (EvalScope reads it from ModelScope).

Differences from EvalScope, each on purpose:

* the JPEG bytes are sent as they are in the shard; EvalScope decodes them with PIL and re-encodes
  them as JPEG (quality 75), so its requests carry smaller, re-compressed images. No Pillow here;
* ``--prompt`` replaces the caption text but keeps the images (EvalScope drops the dataset, images
  included, for a text-only benchmark);
* a sample without a ``.jpg`` or a ``.txt`` is an error naming the shard and the key (EvalScope
  stops with ``KeyError: 'jpg'``).
"""

from __future__ import annotations

import re
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from assay.errors import UserError
from assay.perf.arguments import PerfArguments
from assay.perf.plugins import Prompt, register_dataset
from assay.perf.prompts._base import PromptSourceBase
from assay.perf.prompts._files import hub_folder
from assay.perf.prompts._images import check_image_requests, data_url

HF_DATASET_ID = "clip-benchmark/wds_flickr8k"
SPLIT = "test"
#: Image members read, by extension, and the MIME type each is sent as.
IMAGE_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg"}
CAPTION_EXTENSION = "txt"


@register_dataset("flickr8k")
class Flickr8k(PromptSourceBase):
    """Photos with their captions from ``wds_flickr8k`` tar shards (EvalScope's ``flickr8k``)."""

    name = "flickr8k"
    fixed_prompt_replaces_dataset: ClassVar[bool] = False

    def __init__(self, args: PerfArguments) -> None:
        super().__init__(args)
        check_image_requests(args, self.name, self.chat)

    def describe(self) -> str:
        """The local copy, or the hub dataset."""
        return self.args.dataset_path or f"{HF_DATASET_ID} ({SPLIT} split)"

    def dataset_prompts(self) -> Iterator[Prompt]:
        """One prompt per sample, shard by shard, in archive order."""
        for sample in read_samples(self._shards()):
            yield self.image_prompt(self.request_text(sample.caption), [data_url(sample.image, sample.mime)])

    def _shards(self) -> list[Path]:
        if self.args.dataset_path is None:
            return shard_paths(hub_folder(self.name, HF_DATASET_ID, f"{SPLIT}/*.tar"), self.name)
        path = Path(self.args.dataset_path)
        if not path.exists():
            raise UserError(f"--dataset {self.name}: --dataset-path {path} does not exist")
        return shard_paths(path, self.name)


@dataclass(frozen=True, slots=True)
class Sample:
    """One webdataset sample: its image bytes, their MIME type, and its caption text."""

    image: bytes
    mime: str
    caption: str


def shard_paths(path: Path, dataset: str) -> list[Path]:
    """The tar shards of a local copy: ``path/test/*.tar``, else ``path/*.tar``, else ``path`` itself.

    Raises:
        UserError: A folder without shards.
    """
    if path.is_file():
        return [path]
    for folder in (path / SPLIT, path):
        shards = sorted(folder.glob("*.tar"), key=_natural_key)
        if shards:
            return shards
    raise UserError(
        f"--dataset {dataset}: no .tar shards in {path} (expected {path / SPLIT}/*.tar, the layout of "
        f"{HF_DATASET_ID}, or a folder of .tar files)"
    )


def read_samples(shards: list[Path]) -> Iterator[Sample]:
    """Every sample of the shards, in order, one in memory at a time.

    Raises:
        UserError: A shard is not a readable tar, or a sample lacks its image or caption.
    """
    for shard in shards:
        try:
            with tarfile.open(shard, "r|*") as archive:
                yield from _shard_samples(shard, archive)
        except (tarfile.TarError, OSError) as exc:
            raise UserError(f"--dataset flickr8k: cannot read the tar shard {shard} ({exc})") from exc


def _shard_samples(shard: Path, archive: tarfile.TarFile) -> Iterator[Sample]:
    """Group adjacent members by key, as webdataset does, and turn each group into a sample."""
    key: str | None = None
    members: dict[str, bytes] = {}
    for member in archive:
        if not member.isfile():
            continue
        member_key, extension = _split_name(member.name)
        if member_key != key:
            if key is not None:
                yield _sample(shard, key, members)
            key, members = member_key, {}
        if extension in IMAGE_TYPES or extension == CAPTION_EXTENSION:
            handle = archive.extractfile(member)
            if handle is not None:
                members[extension] = handle.read()
    if key is not None:
        yield _sample(shard, key, members)


def _sample(shard: Path, key: str, members: dict[str, bytes]) -> Sample:
    image_extension = next((ext for ext in IMAGE_TYPES if ext in members), None)
    if image_extension is None or CAPTION_EXTENSION not in members:
        missing = ".jpg image" if image_extension is None else ".txt caption"
        raise UserError(
            f"--dataset flickr8k: sample {key!r} in {shard} has no {missing} "
            f"(a wds_flickr8k sample is the members {key}.jpg and {key}.txt)"
        )
    try:
        caption = members[CAPTION_EXTENSION].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"--dataset flickr8k: {key}.txt in {shard} is not UTF-8 text") from exc
    return Sample(members[image_extension], IMAGE_TYPES[image_extension], caption)


def _split_name(name: str) -> tuple[str, str]:
    """webdataset's key and extension: the path up to the first dot of the file name, and the rest."""
    folder, _, base = name.rpartition("/")
    stem, _, extension = base.partition(".")
    return (f"{folder}/{stem}" if folder else stem), extension.lower()


def _natural_key(path: Path) -> list[int | str]:
    """``2.tar`` before ``10.tar``: digits compare as numbers."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]
