"""Images scaled and re-encoded before sending (``model_args`` image_max_pixels / image_format).

Unit checks on :func:`image_url`, then a run against the test server: the server receives the
converted picture (its hash is that of the scaled JPEG, not of the file), and changing the setting
changes the fingerprint, so a resumed run asks again rather than reusing answers about other pixels.
"""

from __future__ import annotations

import base64
import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from assay import TaskConfig, run_task
from assay.errors import UserError
from assay.mock_server import Rule, ServerConfig, run_server_in_thread
from assay.models.image_encoding import ImageOptions, image_url
from assay.types import ImagePart
from tests.engine.vmcq import vmcq_data


def _image(size: tuple[int, int], mode: str = "RGB", fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, (200, 30, 30, 128) if mode == "RGBA" else "red").save(buffer, format=fmt)
    return buffer.getvalue()


def _decoded(url: str) -> tuple[str, Image.Image]:
    header, _, payload = url.partition(",")
    return header, Image.open(io.BytesIO(base64.b64decode(payload)))


def test_without_options_an_image_goes_byte_for_byte() -> None:
    raw = _image((400, 300))
    part = ImagePart(source="a.png", data=raw)
    assert image_url(part, ImageOptions()) == "data:image/png;base64," + base64.b64encode(raw).decode()
    small = ImagePart(source="b.png", data=_image((10, 10)))
    assert image_url(small, ImageOptions(max_pixels=1000)) == small.url()  # under the limit: untouched


def test_max_pixels_scales_down_keeping_the_aspect_ratio() -> None:
    part = ImagePart(source="a.png", data=_image((400, 300)))
    header, image = _decoded(image_url(part, ImageOptions(max_pixels=30_000)))
    assert header == "data:image/png;base64" and image.size == (200, 150)


def test_jpeg_flattens_transparency_and_sets_quality() -> None:
    part = ImagePart(source="a.png", data=_image((64, 64), mode="RGBA"))
    header, image = _decoded(image_url(part, ImageOptions(format="jpeg", quality=80)))
    assert header == "data:image/jpeg;base64" and image.mode == "RGB" and image.size == (64, 64)
    red, green, _ = image.getpixel((10, 10))  # half-transparent red over white
    assert 220 <= red <= 235 and 130 <= green <= 150


def test_remote_images_are_never_touched() -> None:
    part = ImagePart(source="https://example.com/x.jpg")
    assert image_url(part, ImageOptions(max_pixels=10, format="png")) == "https://example.com/x.jpg"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"image_max_pixels": 0}, "image_max_pixels must be at least 1"),
        ({"image_max_pixels": "many"}, "must be whole numbers"),
        ({"image_format": "gif"}, "image_format must be png or jpeg"),
        ({"image_quality": 100}, "image_quality must be between 1 and 95"),
    ],
)
def test_bad_options_are_one_clear_error(args: dict[str, object], message: str) -> None:
    with pytest.raises(UserError, match=message):
        ImageOptions.from_model_args(args)


def test_the_server_receives_the_converted_image_and_the_setting_is_in_the_fingerprint(tmp_path: Path) -> None:
    data, out = tmp_path / "data", tmp_path / "out"
    vmcq_data(data, size=1000)
    rules = [Rule(contains="red square", reply="ANSWER: A"), Rule(contains="blue square", reply="ANSWER: C")]
    with run_server_in_thread(ServerConfig(rules=rules)) as srv:
        config = TaskConfig(
            model="mock-model",
            api_url=srv.url,
            model_args={"image_max_pixels": 250_000, "image_format": "jpeg"},
            datasets=["toy_vmcq"],
            dataset_args={"toy_vmcq": {"local_path": str(data)}},
            work_dir=str(out),
            no_timestamp=True,
        )
        assert run_task(config, show_progress=False)["toy_vmcq"].score == 1.0
        received = sorted(h for entry in srv.stats()["images"] for h in entry["images"])
        expected = []
        for name in ("blue-3", "red-7"):
            part = ImagePart(source=str(data / "images" / f"{name}.png"))
            header, image = _decoded(image_url(part, ImageOptions(max_pixels=250_000, format="jpeg")))
            assert image.size == (500, 500) and header == "data:image/jpeg;base64"
            _, _, payload = image_url(part, ImageOptions(max_pixels=250_000, format="jpeg")).partition(",")
            expected.append(hashlib.sha256(base64.b64decode(payload)).hexdigest())
        assert received == sorted(expected)
        changed = config.model_copy(
            update={"use_cache": str(out), "model_args": {"image_max_pixels": 100_000, "image_format": "jpeg"}}
        )
        with pytest.raises(UserError, match="different model, prompt or generation config"):
            run_task(changed, show_progress=False)  # the cached answers were about other pixels
        assert srv.stats()["requests_total"] == 2
