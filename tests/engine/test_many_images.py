"""A run of hundreds of images holds none of them: memory and journals stay flat in the image count,
and a run killed mid-way resumes by sending only the unfinished samples.

The data is general_vmcq in parquet, each record with its own noise picture (about 70 KB of PNG),
so a run that kept images (or their base64) in memory or in the journals would grow by tens of MB
between 50 and 500 images. Evaluations run in child processes (the peak RSS is the child's own;
SIGKILL is real), against the test server in this process.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from assay import TaskConfig, run_task
from assay.mock_server import ServerConfig, run_server_in_thread

pytestmark = pytest.mark.timeout(600)

#: Image counts compared, both past the few hundred requests after which the allocator pools stop
#: growing (measured: a 50-image run peaks lower for that reason alone, 500 and 1,500 alike).
SMALL_LARGE = (300, 900)

#: The child's peak is VmHWM, its own memory's high-water mark: ``ru_maxrss`` would also count the
#: forked copy of this test process from before ``exec`` (Linux carries it over), i.e. pytest's size.
_CHILD = """
import json, re, sys
from assay import TaskConfig, run_task
config = TaskConfig.model_validate_json(sys.argv[1])
run_task(config, show_progress=False)
status = open("/proc/self/status").read()
print(json.dumps({"peak_rss_kb": int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1))}))
"""


def _write_vmcq(folder: Path, count: int, seed: int = 0) -> list[str]:
    """``default_val.parquet`` of ``count`` questions, image_1 a distinct noise PNG each; their SHA-256s."""
    rng = np.random.default_rng(seed)
    cells, hashes = [], []
    for _ in range(count):
        buffer = io.BytesIO()
        Image.fromarray(rng.integers(0, 256, (150, 150, 3), dtype=np.uint8)).save(buffer, format="PNG")
        raw = buffer.getvalue()
        cells.append({"bytes": raw, "path": None})
        hashes.append(hashlib.sha256(raw).hexdigest())
    table = pa.table(
        {
            "question": [f"<image 1> Question {i}: what is shown?" for i in range(count)],
            "options": [["noise", "a cat", "a dog", "a car"]] * count,
            "answer": ["A"] * count,
            "image_1": pa.array(cells, type=pa.struct([("bytes", pa.binary()), ("path", pa.string())])),
        }
    )
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, folder / "default_val.parquet", row_group_size=32)
    return hashes


def _config(data: Path, out: Path, url: str, **extra: object) -> TaskConfig:
    return TaskConfig(
        model="mock-model",
        api_url=url,
        datasets=["general_vmcq"],
        dataset_args={"general_vmcq": {"local_path": str(data)}},
        work_dir=str(out),
        no_timestamp=True,
        **{"eval_batch_size": 4, **extra},
    )


def _child_env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "ASSAY_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(Path.cwd())}


def _journal(out: Path) -> list[str]:
    path = out / "predictions" / "mock-model" / "general_vmcq_default.jsonl"
    return [line for line in path.read_text(encoding="utf-8").splitlines(keepends=True) if line.endswith("\n")]


def test_memory_and_journal_stay_flat_from_200_to_600_images(tmp_path: Path) -> None:
    measured = {}
    with run_server_in_thread(ServerConfig(default_reply="ANSWER: A")) as srv:
        for count in SMALL_LARGE:
            data, out = tmp_path / f"data{count}", tmp_path / f"out{count}"
            hashes = _write_vmcq(data, count, seed=count)
            before = srv.stats().get("images_total")
            config = _config(data, out, srv.url, keep_images="none")
            done = subprocess.run(
                [sys.executable, "-c", _CHILD, config.model_dump_json()],
                env=_child_env(tmp_path),
                capture_output=True,
                text=True,
                check=True,
            )
            lines = _journal(out)
            assert len(lines) == count
            received = [h for entry in srv.stats()["images"][-count:] for h in entry["images"]]
            assert sorted(received) == sorted(hashes)
            assert before is None or srv.stats()["images_total"] - before == count
            measured[count] = {
                "peak_mb": json.loads(done.stdout.strip().splitlines()[-1])["peak_rss_kb"] / 1024,
                "line_bytes": max(len(line) for line in lines),
                "image_mb": (data / "default_val.parquet").stat().st_size / 2**20,
            }
            assert not any("base64" in line or "data:image" in line for line in lines)
    added_images_mb = measured[SMALL_LARGE[1]]["image_mb"] - measured[SMALL_LARGE[0]]["image_mb"]
    growth_mb = measured[SMALL_LARGE[1]]["peak_mb"] - measured[SMALL_LARGE[0]]["peak_mb"]
    print(f"\nmany images: {measured}; {added_images_mb:.1f} MB more images, peak RSS +{growth_mb:.1f} MB")
    assert added_images_mb > 25  # the test means something: 600 more images are tens of MB
    # Holding the images would add at least their size (39 MB; base64 a third more); measured: +2 to +10 MB.
    assert growth_mb < added_images_mb / 2, measured
    small, large = (measured[count]["line_bytes"] for count in SMALL_LARGE)
    assert large < 2000 and large <= small + 16  # a journal line does not grow with the image count


def test_a_run_killed_mid_way_resumes_sending_only_the_unfinished_samples(tmp_path: Path) -> None:
    data, out = tmp_path / "data", tmp_path / "out"
    hashes = _write_vmcq(data, 40)
    with run_server_in_thread(ServerConfig(default_reply="ANSWER: A", ttft_ms=60)) as srv:
        config = _config(data, out, srv.url, eval_batch_size=2)
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD, config.model_dump_json()],
            env=_child_env(tmp_path),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            path = out / "predictions" / "mock-model" / "general_vmcq_default.jsonl"
            if path.exists() and len(_journal(out)) >= 12:
                break
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
        child.wait()
        finished = {json.loads(line)["sample_id"] for line in _journal(out)}
        assert 12 <= len(finished) < 40
        sent_before = len(srv.stats()["images"])

        report = run_task(config.model_copy(update={"use_cache": str(out)}), show_progress=False)["general_vmcq"]
        resent = [entry["images"][0] for entry in srv.stats()["images"][sent_before:]]
    unfinished = {hashes[int(sample_id.split("-")[1])] for sample_id in {f"default-{i}" for i in range(40)} - finished}
    assert sorted(resent) == sorted(unfinished)  # each unfinished sample once, no finished one again
    assert report.score == 1.0 and len(_journal(out)) == 40
