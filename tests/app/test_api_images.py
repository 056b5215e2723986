"""Prompt images in the viewer's API and bundle: the copy a run kept (``images/<sha256>.<ext>``) is
served by its hash, named in the sample's answer, inlined in a bundle; nothing else is reachable
through the image route (non-hex names, a kept file that is a symlink out of the outputs folder)."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the viewer needs the app extra: pip install 'assay[app]'")

from starlette.testclient import TestClient

from assay.app import write_bundle
from assay.app.server import create_app
from tests.app.conftest import RUN_VISION, make_vision_run


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("api_images") / "outputs"
    root.mkdir()
    make_vision_run(root)
    return root


@pytest.fixture(scope="module")
def client(outputs: Path) -> TestClient:
    return TestClient(create_app(outputs))


def _kept(outputs: Path) -> dict[str, bytes]:
    return {path.stem: path.read_bytes() for path in (outputs / RUN_VISION / "images").iterdir()}


def test_the_sample_names_its_kept_images_and_each_is_served_by_its_hash(client: TestClient, outputs: Path) -> None:
    kept = _kept(outputs)
    sample = client.get(f"/api/runs/{RUN_VISION}/samples/toy_vmcq/blue-3%230").json()
    (part,) = [p for p in sample["prediction"]["input"][-1]["content"] if p["type"] == "image"]
    assert sample["kept_images"] == [part["sha256"]] and part["sha256"] in kept
    answer = client.get(f"/api/runs/{RUN_VISION}/images/{part['sha256']}")
    assert answer.status_code == 200 and answer.content == kept[part["sha256"]]
    assert answer.headers["content-type"] == "image/jpeg"
    assert "immutable" in answer.headers["cache-control"]


@pytest.mark.parametrize(
    "name",
    ["0" * 64, "A" * 64, "..", "%2e%2e%2fconfigs%2ftask_config.yaml", "abc", "0" * 63 + "/", "0" * 64 + ".jpg"],
)
def test_anything_but_a_kept_hash_is_not_found(client: TestClient, name: str) -> None:
    answer = client.get(f"/api/runs/{RUN_VISION}/images/{name}")
    assert answer.status_code == 404 and answer.headers["content-type"] == "application/json"


def test_a_kept_image_that_links_out_of_the_outputs_folder_is_not_served(tmp_path: Path, outputs: Path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG\r\n\x1a\nnot for the viewer")
    sha = "f" * 64
    link = outputs / RUN_VISION / "images" / f"{sha}.png"
    link.symlink_to(secret)
    try:
        answer = TestClient(create_app(outputs)).get(f"/api/runs/{RUN_VISION}/images/{sha}")
    finally:
        link.unlink()
    assert answer.status_code == 404 and b"not for the viewer" not in answer.content


def test_a_bundle_inlines_the_kept_images_as_data_urls(tmp_path: Path, outputs: Path) -> None:
    text = write_bundle(outputs / RUN_VISION, tmp_path / "report.html").read_text(encoding="utf-8")
    inlined = re.findall(r'src="data:image/jpeg;base64,([A-Za-z0-9+/=]+)"', text)
    assert sorted(base64.b64decode(data) for data in inlined) == sorted(_kept(outputs).values())
