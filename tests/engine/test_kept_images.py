"""The copy of each prompt image a run keeps for the viewer (``keep_images``, ``assay.engine.images``).

Runs of ``toy_vmcq`` against the test server: every image the server received is kept once under
``<out>/images/<sha256>.<ext>`` (the hash of the bytes sent, the name the journal refers to); a large
photograph is scaled down, ``original`` keeps the exact bytes, ``none`` keeps nothing, and an image
that cannot be decoded is skipped without costing its sample.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from PIL import Image

from assay import TaskConfig, run_task
from assay.engine.images import THUMBNAIL_SIDE, ImageKeeper
from assay.mock_server import Rule, ServerConfig, run_server_in_thread
from assay.types import ChatMessage, ImagePart, TextPart
from tests.engine.vmcq import vmcq_data

RULES = [Rule(contains="red square", reply="ANSWER: A"), Rule(contains="blue square", reply="ANSWER: B")]


def _run(tmp_path: Path, keep: str, size: int = 64, fmt: str = "PNG") -> tuple[Path, dict[str, str], list[str]]:
    data, out = tmp_path / "data", tmp_path / "out"
    hashes = vmcq_data(data, size=size, fmt=fmt)
    with run_server_in_thread(ServerConfig(rules=RULES)) as srv:
        config = TaskConfig(
            model="mock-model",
            api_url=srv.url,
            datasets=["toy_vmcq"],
            dataset_args={"toy_vmcq": {"local_path": str(data)}},
            work_dir=str(out),
            no_timestamp=True,
            keep_images=keep,
        )
        report = run_task(config, show_progress=False)["toy_vmcq"]
        received = sorted(image for entry in srv.stats()["images"] for image in entry["images"])
    assert report.score == 0.5
    return out, hashes, received


def test_each_image_sent_is_kept_once_under_its_hash(tmp_path: Path) -> None:
    out, hashes, received = _run(tmp_path, "thumbnail")
    assert received == sorted(hashes.values())
    kept = {path.name: path.read_bytes() for path in (out / "images").iterdir()}
    assert sorted(kept) == sorted(f"{sha}.png" for sha in hashes.values())
    for record_id, sha in hashes.items():  # small pictures are copied byte for byte
        assert kept[f"{sha}.png"] == (tmp_path / "data" / "images" / f"{record_id}.png").read_bytes()


def test_a_large_photograph_is_kept_as_a_thumbnail_named_by_the_hash_sent(tmp_path: Path) -> None:
    out, hashes, received = _run(tmp_path, "thumbnail", size=2000, fmt="JPEG")
    assert received == sorted(hashes.values())  # the server got the full picture
    for record_id, sha in hashes.items():
        original = (tmp_path / "data" / "images" / f"{record_id}.jpg").read_bytes()
        kept = (out / "images" / f"{sha}.jpg").read_bytes()
        with Image.open(io.BytesIO(kept)) as image:
            assert image.format == "JPEG" and max(image.size) == THUMBNAIL_SIDE
        assert len(kept) < len(original)


def test_original_keeps_the_exact_bytes_and_none_keeps_nothing(tmp_path: Path) -> None:
    out, hashes, _ = _run(tmp_path / "original", "original", size=2000, fmt="JPEG")
    for record_id, sha in hashes.items():
        sent = (tmp_path / "original" / "data" / "images" / f"{record_id}.jpg").read_bytes()
        assert (out / "images" / f"{sha}.jpg").read_bytes() == sent
    out, _, received = _run(tmp_path / "none", "none")
    assert len(received) == 2 and not (out / "images").exists()


def _prompt(*parts: ImagePart) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=[TextPart(text="What is drawn?"), *parts])]


def test_an_undecodable_image_is_skipped_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    broken = ImagePart(source="broken.png", data=b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    keeper = ImageKeeper(tmp_path / "images", "thumbnail")
    with caplog.at_level(logging.WARNING, logger="assay"):
        keeper.keep(_prompt(broken))
    assert not (tmp_path / "images").exists() or not any((tmp_path / "images").iterdir())
    assert "could not keep a copy of image broken.png" in caplog.text


def test_a_large_drawing_with_transparency_stays_a_png_and_remote_images_are_not_fetched(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    Image.new("RGBA", (1600, 400), (255, 0, 0, 128)).save(buffer, format="PNG")
    drawing = ImagePart(source="chart.png", data=buffer.getvalue())
    remote = ImagePart(source="https://example.com/cat.jpg")
    keeper = ImageKeeper(tmp_path / "images", "thumbnail")
    keeper.keep(_prompt(drawing, remote, drawing))
    (kept,) = (tmp_path / "images").iterdir()
    assert kept.name == f"{drawing.sha256}.png"
    with Image.open(kept) as image:
        assert image.size == (THUMBNAIL_SIDE, THUMBNAIL_SIDE // 4) and image.mode == "RGBA"
    assert keeper.wanted(_prompt(drawing, remote)) == []  # kept already; the remote one is never wanted
