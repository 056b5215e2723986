"""``assay app bundle``: one offline HTML file with the run's scores and its first samples."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from assay.app import write_bundle
from tests.app.api_helpers import RUN_A, copy_run, make_outputs

#: Any attribute that would make a browser fetch something from the network.
NETWORK_REFERENCE = re.compile(r"""(?:src|href|action|srcset)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_outputs(tmp_path_factory.mktemp("api_bundle"))


def test_bundle_is_self_contained_and_holds_scores_and_samples(tmp_path: Path, outputs: Path) -> None:
    run = copy_run(outputs / RUN_A, tmp_path / "run")
    journal = run / "reviews" / "model-a" / "gsm8k_main.jsonl"
    hostile = json.loads(journal.read_text().splitlines()[0])
    hostile.update(key="main-9#0", sample_id="main-9", prediction='<img src="https://evil.example/x.png"> <script>')
    with journal.open("a") as handle:
        handle.write(json.dumps(hostile) + "\n")

    text = write_bundle(run, tmp_path / "report.html").read_text(encoding="utf-8")
    assert NETWORK_REFERENCE.search(text) is None
    assert "http://" not in text.replace("&quot;", '"').split("<h2>Configuration</h2>")[0]
    assert "<link" not in text and "<script src" not in text
    assert '<img src="https://evil' not in text and "&lt;img src=&quot;https://evil.example/x.png&quot;&gt;" in text
    report = json.loads((run / "reports" / "model-a" / "gsm8k.json").read_text())
    assert f"{report['score']:.4f}" == "0.3333" and "0.3333" in text
    assert f"{report['metrics'][0]['stderr']:.4f}" in text  # the standard error
    for subset in ("main", "socratic"):
        assert f"{subset}</td>" in text
    for key in ("main-0#0", "main-3#0", "socratic-1#0", "main-9#0"):
        assert key in text
    assert "Q-noanswer: 5 plus 5?" in text  # a prompt, from the predictions journal
    assert text.count('class="sample"') == 9
    assert 'data-verdict="errored"' in text and 'data-verdict="excluded"' in text


def test_bundle_shows_at_most_the_asked_number_of_samples(tmp_path: Path, outputs: Path) -> None:
    text = write_bundle(outputs / RUN_A, tmp_path / "small.html", samples_per_benchmark=3).read_text()
    assert text.count('class="sample"') == 3 and "the first 3 of 8" in text


def test_bundle_command_writes_the_file_and_refuses_a_non_run(tmp_path: Path, outputs: Path) -> None:
    out = tmp_path / "r.html"
    done = subprocess.run(
        [sys.executable, "-m", "assay", "app", "bundle", str(outputs / RUN_A), "--out", str(out), "--samples", "2"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert out.is_file() and out.read_text().count('class="sample"') == 2
    refused = subprocess.run(
        [sys.executable, "-m", "assay", "app", "bundle", str(tmp_path), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 2 and "not an eval run" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
