"""``assay.benchmarks._vision``: every shape a dataset gives an image in becomes a small reference.

Bytes found inside records (parquet cells, data: URLs, bare base64) are spooled once to a file named
by their hash, so a sample holds no image bytes; paths resolve against the data file's folder, then
the working directory; placeholders put images where the text says.
"""

from __future__ import annotations

import base64
import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from assay.benchmarks._vision import collect_images, image_part, interleave
from assay.errors import UserError
from assay.types import ImagePart, TextPart, messages_json


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ASSAY_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _png(colour: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "shape",
    ["hf_cell", "bytes", "data_url", "bare_base64"],
)
def test_bytes_inside_a_record_are_spooled_once_and_never_held(shape: str, cache_dir: Path) -> None:
    raw = _png()
    value = {
        "hf_cell": {"bytes": raw, "path": "x.png"},
        "bytes": raw,
        "data_url": "data:image/png;base64," + base64.b64encode(raw).decode(),
        "bare_base64": base64.b64encode(raw + b"\0" * 300).decode(),
    }[shape]
    part = image_part(value, location="test.parquet#3/image")
    expected = raw + b"\0" * 300 if shape == "bare_base64" else raw
    assert part.sha256 == hashlib.sha256(expected).hexdigest()
    assert part.data is None and part.load_bytes() == expected
    assert part.cache_path == str(cache_dir / "spool" / part.sha256)
    assert part.mime_type == "image/png"
    journal = messages_json([_user(part)])
    assert journal[0]["content"][0] == {  # type: ignore[index]
        "type": "image",
        "source": "test.parquet#3/image",
        "sha256": part.sha256,
        "mime_type": "image/png",
    }
    image_part(value, location="again")  # the same bytes again: the spool file is reused
    assert len(list((cache_dir / "spool").iterdir())) == 1


def _user(part: ImagePart) -> object:
    from assay.types import ChatMessage

    return ChatMessage(role="user", content=[part])


def test_paths_resolve_against_the_data_folder_then_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, cwd = tmp_path / "data", tmp_path / "cwd"
    (data / "images").mkdir(parents=True)
    (cwd / "custom_eval").mkdir(parents=True)
    (data / "images" / "a.png").write_bytes(_png("red"))
    (cwd / "custom_eval" / "b.png").write_bytes(_png("blue"))
    monkeypatch.chdir(cwd)
    a = image_part("images/a.png", location="x", base_dir=data)
    b = image_part({"path": "custom_eval/b.png", "bytes": None}, location="y", base_dir=data)
    assert a.source == str(data / "images" / "a.png") and a.load_bytes() == _png("red")
    assert b.source == str(cwd / "custom_eval" / "b.png") and b.cache_path is None
    with pytest.raises(UserError, match=r"^z: image file not found: .*missing\.png"):
        image_part("missing.png", location="z", base_dir=data)


def test_remote_images_stay_urls_and_empty_cells_are_named(cache_dir: Path) -> None:
    part = image_part("https://example.com/cat.jpg", location="x", detail="low")
    assert part.is_remote and part.detail == "low" and not cache_dir.exists()
    with pytest.raises(UserError, match=r"^t#1/image: no image in this cell \(expected bytes"):
        image_part({"bytes": None, "path": None}, location="t#1/image")
    with pytest.raises(UserError, match="no image in this cell"):
        image_part(None, location="t#2/image")


def test_collect_images_reads_indexed_columns_then_a_list_then_one_image(tmp_path: Path) -> None:
    raw = [_png(c) for c in ("red", "green", "blue")]
    indexed = collect_images({"image_1": raw[0], "image_2": None, "image_3": raw[2]}, location="r")
    assert sorted(indexed) == [1, 3] and indexed[3].source == "r/image_3"
    listed = collect_images({"images": [raw[0], raw[1]]}, location="r")
    assert [p.sha256 for p in listed.values()] == [hashlib.sha256(r).hexdigest() for r in raw[:2]]
    single = collect_images({"image": {"bytes": raw[1], "path": None}}, location="r")
    assert list(single) == [1] and single[1].source == "r/image"


def test_interleave_places_images_at_their_placeholders(caplog: pytest.LogCaptureFixture) -> None:
    one, two = (ImagePart(source=n, sha256=n * 64) for n in "ab")
    parts = interleave("Compare <image 1> and <image_2>.\nA) <image 2>\nB) x <image 9>", {1: one, 2: two})
    assert parts == [
        TextPart(text="Compare "),
        one,
        TextPart(text=" and "),
        two,
        TextPart(text=".\nA) "),
        two,
        TextPart(text="\nB) x "),
    ]
    assert "no image supplied for <image 9>" in caplog.text
    assert interleave("What is drawn?", {2: two, 1: one}) == [one, two, TextPart(text="What is drawn?")]
