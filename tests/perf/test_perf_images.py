"""``assay perf`` with images: ``flickr8k`` from local webdataset shards, synthetic ``random_vl``,
request sizes in records and summaries, and image encoding kept off the clock."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from assay.errors import UserError
from assay.mock_server import ServerConfig, ServerHandle, prompt_key, run_server_in_thread
from assay.perf import _keys as K
from assay.perf._records import RequestRecord
from assay.perf._run import PromptFeed, prepare
from assay.perf.arguments import PerfArguments
from assay.perf.metrics import compute_run_metrics
from assay.perf.plugins import Prompt, get_prompt_source
from assay.perf.report_console import summary_table
from assay.perf.runner import run_perf
from assay.perf.storage import RecordStore
from tests.perf.metrics_helpers import parse_all, stream_record

Image = pytest.importorskip("PIL.Image")

RUN_FILES = {"benchmark_args.json", "benchmark_summary.json", "benchmark_percentile.json", "benchmark_data.db"}
CHAT_URL = "http://127.0.0.1:8000/v1/chat/completions"


@dataclass
class Flickr:
    """A local copy of ``clip-benchmark/wds_flickr8k``: its folder, and each sample's JPEG and caption."""

    root: Path
    jpegs: list[bytes]
    captions: list[str]

    @property
    def hashes(self) -> list[str]:
        return [hashlib.sha256(jpeg).hexdigest() for jpeg in self.jpegs]


def _jpeg(index: int) -> bytes:
    image = Image.new("RGB", (96, 64), (40 * index % 256, 90, 200 - 30 * index))
    image.paste((255, 255, 0), (8 * index, 10, 8 * index + 20, 40))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


@pytest.fixture
def flickr(tmp_path: Path) -> Flickr:
    """Two shards in the hub layout, ``test/0.tar`` (3 samples) and ``test/1.tar`` (2), as webdataset writes them."""
    root = tmp_path / "wds_flickr8k"
    (root / "test").mkdir(parents=True)
    jpegs, captions = [], []
    for shard, indexes in (("0", range(3)), ("1", range(3, 5))):
        with tarfile.open(root / "test" / f"{shard}.tar", "w") as archive:
            for i in indexes:
                key = f"s{i:04d}"
                jpegs.append(_jpeg(i))
                captions.append(f"A dog number {i} runs.\nA brown dog runs on grass.")
                _add(archive, f"{key}.jpg", jpegs[-1])
                _add(archive, f"{key}.txt", captions[-1].encode())
    return Flickr(root, jpegs, captions)


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny offline tokenizer (one token per word ``w0`` .. ``w199``) with a chat template."""
    pytest.importorskip("transformers")
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    folder = tmp_path_factory.mktemp("tokenizer")
    vocab = {word: i for i, word in enumerate(["<unk>", "<s>", *(f"w{i}" for i in range(200))])}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.decoder = decoders.WordPiece(prefix="##")  # joins words with spaces
    tokenizer.save(str(folder / "tokenizer.json"))
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "unk_token": "<unk>",
        "bos_token": "<s>",
        "chat_template": "{% for m in messages %}<s> {{ m['content'] }} {% endfor %}",
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    return folder


def perf_args(url: str, tmp_path: Path, **fields: Any) -> PerfArguments:
    values: dict[str, Any] = {
        "model": "vl-model",
        "url": url,
        "max_tokens": [8],
        "outputs_dir": str(tmp_path / "outputs"),
        "sleep_interval": 0,
    }
    return PerfArguments(**{**values, **fields})


def vl_args(url: str, tmp_path: Path, tokenizer_dir: Path, **fields: Any) -> PerfArguments:
    values: dict[str, Any] = {
        "dataset": "random_vl",
        "tokenizer_path": str(tokenizer_dir),
        "min_prompt_length": 10,
        "max_prompt_length": 30,
        "image_num": 2,
        "image_width": 64,
        "image_height": 48,
        "seed": 3,
        "number": [4],
    }
    return perf_args(url, tmp_path, **{**values, **fields})


def flickr_prompts(path: Path, **fields: Any) -> list[Prompt]:
    """Every prompt of ``--dataset flickr8k --dataset-path path``."""
    args = perf_args(CHAT_URL, path, dataset="flickr8k", dataset_path=str(path), **fields)
    return list(get_prompt_source(args).prompts())


def quiet() -> Console:
    return Console(file=io.StringIO(), width=160)


def sent_images(srv: ServerHandle) -> list[list[str]]:
    """The SHA-256 of every image, per request, as the server decoded them (the test request has none)."""
    return [entry["images"] for entry in srv.stats()["images"]]


def decoded_images(prompt: Prompt) -> list[bytes]:
    parts = [part for m in prompt.messages or [] if isinstance(m["content"], list) for part in m["content"]]
    urls = [part["image_url"]["url"] for part in parts if part["type"] == "image_url"]
    return [base64.b64decode(url.partition(",")[2]) for url in urls]


# ---- flickr8k -------------------------------------------------------------------------------------


def test_flickr8k_sends_each_photo_once_with_its_caption(flickr: Flickr, tmp_path: Path) -> None:
    with run_server_in_thread(ServerConfig(default_reply="a dog")) as srv:
        args = perf_args(srv.url, tmp_path, dataset="flickr8k", dataset_path=str(flickr.root), number=[5], parallel=[2])
        result = run_perf(args, console=quiet())
        images = sent_images(srv)
        counts = srv.stats()["prompt_counts"]
    assert len(images) == 5 and all(len(one) == 1 for one in images)
    assert sorted(one[0] for one in images) == sorted(flickr.hashes)  # the JPEG bytes as they are in the tars
    assert all(counts.get(prompt_key(caption)) == 1 for caption in flickr.captions)  # EvalScope: caption as text

    run = result.runs[0]
    assert {p.name for p in run.run_dir.iterdir()} >= RUN_FILES
    summary = json.loads((run.run_dir / "benchmark_summary.json").read_text())
    assert summary["Total Requests"] == summary["Success Requests"] == 5
    assert summary[K.AVG_IMAGES_PER_REQUEST] == 1 and summary[K.TOTAL_IMAGES] == 5
    assert summary[K.AVG_REQUEST_BYTES] > max(map(len, flickr.jpegs))  # the image travels inside, base64
    assert summary[K.MAX_REQUEST_BYTES] >= summary[K.AVG_REQUEST_BYTES]
    records = RecordStore(run.run_dir / "benchmark_data.db").read()
    assert all(r.images == 1 and r.request_bytes > len(jpeg) for r, jpeg in zip(records, flickr.jpegs, strict=True))
    assert sorted(r.prompt for r in records) == sorted(flickr.captions)  # text stored, never the base64


def test_flickr8k_reads_the_hub_layout_a_folder_of_shards_or_one_shard(flickr: Flickr) -> None:
    for path, expected in (
        (flickr.root, flickr.hashes),
        (flickr.root / "test", flickr.hashes),
        (flickr.root / "test" / "1.tar", flickr.hashes[3:]),
    ):
        prompts = flickr_prompts(path)
        hashes = [hashlib.sha256(image).hexdigest() for p in prompts for image in decoded_images(p)]
        assert hashes == expected, path


def test_flickr8k_shards_are_read_in_natural_order(flickr: Flickr) -> None:
    (flickr.root / "test" / "1.tar").rename(flickr.root / "test" / "10.tar")
    (flickr.root / "test" / "0.tar").rename(flickr.root / "test" / "2.tar")
    prompts = flickr_prompts(flickr.root)
    assert [hashlib.sha256(decoded_images(p)[0]).hexdigest() for p in prompts] == flickr.hashes


def test_flickr8k_prompt_replaces_the_caption_and_keeps_the_image(flickr: Flickr) -> None:
    prompts = flickr_prompts(flickr.root, prompt="Describe it.")
    assert [p.messages[-1]["content"][0]["text"] for p in prompts if p.messages] == ["Describe it."] * 5
    assert all(len(decoded_images(p)) == 1 for p in prompts)


def test_flickr8k_cycles_its_samples_and_holds_each_body_once(flickr: Flickr, tmp_path: Path) -> None:
    args = perf_args(CHAT_URL, tmp_path, dataset="flickr8k", dataset_path=str(flickr.root), number=[40])
    plan, prompts, _ = prepare(args, args.runs()[0], PromptFeed(args))
    assert len(plan.bodies) == 40
    assert len({id(body) for body in plan.bodies}) == 5  # memory grows with the samples, not with --number
    assert plan.bodies[0] is plan.bodies[5] and prompts[0] is prompts[5]


@pytest.mark.parametrize(
    ("members", "problem"),
    [
        ({"a.jpg": b"\xff\xd8", "b.jpg": b"\xff\xd8", "b.txt": b"x"}, "sample 'a' in .* has no .txt caption"),
        ({"a.txt": b"x"}, "sample 'a' in .* has no .jpg image"),
        ({"a.jpg": b"\xff\xd8", "a.txt": b"\xff\xfe"}, "a.txt in .* is not UTF-8 text"),
    ],
)
def test_flickr8k_sample_of_the_wrong_shape_is_one_clear_error(
    tmp_path: Path, members: dict[str, bytes], problem: str
) -> None:
    with tarfile.open(tmp_path / "0.tar", "w") as archive:
        for name, data in members.items():
            _add(archive, name, data)
    with pytest.raises(UserError, match=problem):
        flickr_prompts(tmp_path)


def test_flickr8k_folder_without_shards_or_a_broken_shard_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"no \.tar shards in .*expected .*test/\*\.tar"):
        flickr_prompts(tmp_path)
    (tmp_path / "0.tar").write_bytes(b"not a tar at all" * 100)
    with pytest.raises(UserError, match="cannot read the tar shard"):
        flickr_prompts(tmp_path)


def test_image_sources_refuse_prompts_that_cannot_carry_images(flickr: Flickr, tmp_path: Path) -> None:
    completions = perf_args("http://h:8000/v1/completions", tmp_path, dataset="flickr8k", dataset_path=str(flickr.root))
    with pytest.raises(UserError, match="only chat messages carry"):
        get_prompt_source(completions)
    tokenized = perf_args(CHAT_URL, tmp_path, dataset="random_vl", tokenize_prompt=True, tokenizer_path="x")
    with pytest.raises(UserError, match="remove --tokenize-prompt"):
        get_prompt_source(tokenized)


def test_flickr8k_without_dataset_path_is_one_line_naming_it(tmp_path: Path) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    cmd = [sys.executable, "-m", "assay", "perf", "--model", "m", "--dataset", "flickr8k", "--no-test-connection"]
    cmd += ["--url", "http://127.0.0.1:9/v1/chat/completions", "--outputs-dir", str(tmp_path), "-n", "2"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env, check=False)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "--dataset flickr8k without --dataset-path" in lines[0] and "clip-benchmark/wds_flickr8k" in lines[0]


# ---- random_vl ------------------------------------------------------------------------------------


def test_random_vl_sends_image_num_images_of_the_requested_size(tmp_path: Path, tokenizer_dir: Path) -> None:
    with run_server_in_thread(ServerConfig()) as srv:
        result = run_perf(vl_args(srv.url, tmp_path, tokenizer_dir), console=quiet())
        images = sent_images(srv)
    assert len(images) == 4 and all(len(one) == 2 for one in images)
    assert len({h for one in images for h in one}) == 8  # every image new
    # The same seed rebuilds the same images: the server saw exactly these PNGs of 64x48.
    source = get_prompt_source(vl_args(CHAT_URL, tmp_path, tokenizer_dir)).prompts()
    prompts = [next(source) for _ in range(4)]
    rebuilt = [[hashlib.sha256(png).hexdigest() for png in decoded_images(p)] for p in prompts]
    assert rebuilt == images
    with Image.open(io.BytesIO(decoded_images(prompts[0])[0])) as png:
        assert (png.format, png.size, png.mode) == ("PNG", (64, 48), "RGB")
    summary = result.runs[0].metrics.full_summary()
    assert summary[K.AVG_IMAGES_PER_REQUEST] == 2 and summary[K.TOTAL_IMAGES] == 8
    # A text-only local count would miss the image tokens: only the server's usage counts the input.
    assert summary["Input tokens source"] == "server usage" and summary[K.INPUT_TOKEN_DIFF_MEAN] is None


def test_random_vl_same_seed_sends_the_same_images_another_seed_others(tmp_path: Path, tokenizer_dir: Path) -> None:
    sent = []
    for seed in (3, 3, 4):
        with run_server_in_thread(ServerConfig()) as srv:
            run_perf(vl_args(srv.url, tmp_path, tokenizer_dir, seed=seed, number=[3]), console=quiet())
            sent.append(sent_images(srv))
    assert sent[0] == sent[1]
    assert not {h for one in sent[0] for h in one} & {h for one in sent[2] for h in one}


@pytest.mark.parametrize("mode", ["RGBA", "L", "P"])
def test_random_vl_draws_every_supported_colour_mode(tmp_path: Path, mode: str) -> None:
    args = perf_args(CHAT_URL, tmp_path, dataset="random_vl", prompt="What is drawn?", image_format=mode.lower())
    prompt = next(get_prompt_source(args).prompts())
    assert prompt.messages and prompt.messages[-1]["content"][0] == {"type": "text", "text": "What is drawn?"}
    with Image.open(io.BytesIO(decoded_images(prompt)[0])) as png:
        assert (png.format, png.size, png.mode) == ("PNG", (224, 224), mode)  # EvalScope's default size


def test_random_vl_without_pillow_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "PIL", None)  # import PIL now raises ImportError
    with pytest.raises(UserError, match="Pillow, which is not installed: pip install pillow"):
        get_prompt_source(perf_args(CHAT_URL, tmp_path, dataset="random_vl", prompt="hi"))


def test_image_flags_are_validated_and_named() -> None:
    from assay.cli.main import build_parser
    from assay.cli.perf_cmd import arguments_from_cli

    argv = ["perf", "--model", "m", "--dataset", "random_vl", "--image-width", "64", "--image-height", "48"]
    parsed = arguments_from_cli(build_parser().parse_args([*argv, "--image-format", "rgba", "--image-num", "3"]))
    assert (parsed.image_width, parsed.image_height, parsed.image_format, parsed.image_num) == (64, 48, "RGBA", 3)
    defaults = PerfArguments(model="m")
    assert (defaults.image_width, defaults.image_height, defaults.image_format, defaults.image_num) == (
        224,
        224,
        "RGB",
        1,
    )
    for field, value, message in (
        ("image_num", 0, "--image-num must be >= 1"),
        ("image_width", 0, "--image-width must be >= 1"),
        ("image_height", -2, "--image-height must be >= 1"),
        ("image_format", "CMYK", "invalid --image-format: a PIL colour mode"),
    ):
        with pytest.raises(UserError, match=message):
            PerfArguments.build({"model": "m", field: value})


# ---- what is measured -----------------------------------------------------------------------------


def test_image_encoding_happens_before_the_clock_starts(
    flickr: Flickr, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assay.perf.apis import openai_chat
    from assay.perf.prompts import flickr8k

    slow_calls = []

    def slow(function: Any) -> Any:
        def wrapper(*args: Any) -> Any:
            slow_calls.append(function.__name__)
            time.sleep(0.2)
            return function(*args)

        return wrapper

    monkeypatch.setattr(flickr8k, "data_url", slow(flickr8k.data_url))
    monkeypatch.setattr(openai_chat, "encode_json", slow(openai_chat.encode_json))
    with run_server_in_thread(ServerConfig()) as srv:
        args = perf_args(srv.url, tmp_path, dataset="flickr8k", dataset_path=str(flickr.root), number=[3])
        result = run_perf(args.model_copy(update={"no_test_connection": True}), console=quiet())
    assert slow_calls.count("data_url") == 3 and slow_calls.count("encode_json") == 3
    records = RecordStore(result.runs[0].run_dir / "benchmark_data.db").read()
    assert len(records) == 3 and all(r.end_ns - r.start_ns < 0.2e9 for r in records)
    assert result.runs[0].metrics.summary["Avg Latency (s)"] < 0.2


def test_request_size_summary_counts_every_request_sent() -> None:
    records = [stream_record(i, 0, [10, 20], 30, usage=(5, 2)) for i in range(3)]
    for record, size, images in zip(records, (1000, 2000, 6000), (1, 1, 2), strict=True):
        record.request_bytes, record.images = size, images
    records.append(RequestRecord(9, 0, None, 0, 0, request_bytes=99_999, images=7, warmup=True))
    metrics = compute_run_metrics(records, parse_all(records), parallel=1, rate=-1, open_loop=False)
    own = metrics.assay_summary
    assert (own[K.AVG_REQUEST_BYTES], own[K.MAX_REQUEST_BYTES]) == (3000.0, 6000)
    assert (own[K.AVG_IMAGES_PER_REQUEST], own[K.TOTAL_IMAGES]) == (1.3333, 4)
    assert not set(own) & set(metrics.summary)  # EvalScope's keys untouched
    console = Console(file=io.StringIO(), width=120)
    console.print(summary_table(metrics))
    assert "Avg Request Bytes" in console.file.getvalue() and "Avg Images per Request" in console.file.getvalue()


def test_text_runs_show_request_bytes_but_no_image_rows() -> None:
    records = [stream_record(0, 0, [10], 20)]
    records[0].request_bytes = 321
    metrics = compute_run_metrics(records, parse_all(records), parallel=1, rate=-1, open_loop=False)
    console = Console(file=io.StringIO(), width=120)
    console.print(summary_table(metrics))
    text = console.file.getvalue()
    assert "Avg Request Bytes" in text and "321" in text and "Images" not in text


def test_a_schema_1_database_gains_the_request_size_columns(tmp_path: Path) -> None:
    path = tmp_path / "benchmark_data.db"
    RecordStore(path).write([stream_record(1, 0, [10], 20)])
    with sqlite3.connect(path) as con:  # back to schema 1: no request_bytes / images columns
        con.execute("ALTER TABLE records DROP COLUMN request_bytes")
        con.execute("ALTER TABLE records DROP COLUMN images")
    store = RecordStore(path)
    assert [(r.request_bytes, r.images) for r in store.read()] == [(0, 0)]
    new = stream_record(2, 0, [10], 20)
    new.request_bytes, new.images = 10, 1
    store.write([new])
    assert [(r.request_id, r.request_bytes, r.images) for r in store.read()] == [(1, 0, 0), (2, 10, 1)]
    assert store.read_meta()["schema_version"] == 3  # the current schema, once opened
