"""General-VMCQ and General-VQA: EvalScope's custom multimodal formats, end to end against the test
server reading the pixels, so the exact score proves each image reached the model in its place.

Images are words drawn with :func:`assay.mock_server.vision.draw_text`; the server's rule answers
with what it reads (``{read}``), so an item is right exactly when its gold is what its image shows.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from assay import TaskConfig, run_task
from assay.benchmarks import build_adapter
from assay.errors import UserError
from assay.mock_server import Rule, ServerConfig, run_server_in_thread
from assay.types import ImagePart, TextPart
from tests.benchmarks.helpers import write_jsonl

vision = pytest.importorskip("assay.mock_server.vision")


def _png(text: str, background: str = "white") -> bytes:
    colour = "black" if background != "black" else "white"
    buffer = io.BytesIO()
    vision.draw_text(text, size=40, colour=colour, background=background, canvas=(320, 120)).save(buffer, format="PNG")
    return buffer.getvalue()


def _sha(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _run(name: str, data: Path, out: Path, rules: list[Rule], subset: str) -> tuple[float, list[list[str]]]:
    with run_server_in_thread(ServerConfig(rules=rules, default_reply="no image")) as srv:
        config = TaskConfig(
            model="mock-vlm",
            api_url=srv.url,
            datasets=[name],
            dataset_args={name: {"local_path": str(data), "subset_list": [subset]}},
            work_dir=str(out),
            no_timestamp=True,
            generation_config={"temperature": 0.0},
        )
        report = run_task(config, show_progress=False)[name]
        images = [entry["images"] for entry in srv.stats()["images"]]
    journal = next((out / "predictions" / "mock-vlm").glob("*.jsonl")).read_text(encoding="utf-8")
    assert "base64" not in journal and "data:image" not in journal
    return report.score, images


# -- general_vmcq -----------------------------------------------------------------------------------


def _vmcq_records(folder: Path) -> tuple[list[dict[str, object]], dict[str, bytes]]:
    """Three questions: image in the question (right), options that are images (the server reads all
    four words, matches no option: wrong), and a gold that is not what the picture shows (wrong)."""
    (folder / "images").mkdir(parents=True, exist_ok=True)
    pictures = {name: _png(name) for name in ("Dog", "Cat", "Bird", "Fish", "Park")}
    for name, raw in pictures.items():
        (folder / "images" / f"{name}.png").write_bytes(raw)
    records: list[dict[str, object]] = [
        {
            "question": "<image 1> Which animal is named in the picture?",
            "options": ["Cat", "Dog", "Bird", "Fish"],
            "image_1": "images/Dog.png",
            "answer": "B",
        },
        {
            "question": "Which picture says Cat?",
            "options": ["<image 1>", "<image 2>", "<image 3>", "<image 4>"],
            "image_1": "images/Dog.png",
            "image_2": "images/Cat.png",
            "image_3": "images/Bird.png",
            "image_4": "images/Fish.png",
            "answer": "B",
        },
        {
            "question": "<image 1> What place is this?",
            "options": ["School", "Hospital", "Park", "Museum"],
            "image_1": "images/Park.png",
            "answer": "D",
        },
    ]
    return records, pictures


OPTION_RULE = [Rule(read="option", reply="ANSWER: {read}")]


def test_vmcq_jsonl_scores_exactly_and_images_go_where_their_placeholders_are(tmp_path: Path) -> None:
    records, pictures = _vmcq_records(tmp_path / "data")
    write_jsonl(tmp_path / "data" / "example.jsonl", records)
    score, images = _run("general_vmcq", tmp_path / "data", tmp_path / "out", OPTION_RULE, "example")
    assert score == pytest.approx(1 / 3, abs=1e-12)
    order = {tuple(entry) for entry in images}
    assert (_sha(pictures["Dog"]),) in order and (_sha(pictures["Park"]),) in order
    assert tuple(_sha(pictures[n]) for n in ("Dog", "Cat", "Bird", "Fish")) in order  # A..D, in order

    sample = build_adapter("general_vmcq", {"local_path": str(tmp_path / "data"), "subset_list": ["example"]})
    second = sample.load()["example"][1]
    content = second.input[-1].content
    assert isinstance(content, list)
    kinds = [("img" if isinstance(p, ImagePart) else p.text[-3:]) for p in content]
    assert kinds == ["A) ", "img", "B) ", "img", "C) ", "img", "D) ", "img"]


def test_vmcq_tsv_with_json_options_and_parquet_with_image_bytes_score_the_same(tmp_path: Path) -> None:
    records, pictures = _vmcq_records(tmp_path / "tsv")
    header = ["question", "options", "answer", "image_1", "image_2", "image_3", "image_4"]
    lines = ["\t".join(header)]
    for record in records:
        cells = {**record, "options": json.dumps(record["options"])}
        lines.append("\t".join(str(cells.get(column, "")) for column in header))
    (tmp_path / "tsv" / "example.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _run("general_vmcq", tmp_path / "tsv", tmp_path / "out_tsv", OPTION_RULE, "example")[0] == pytest.approx(
        1 / 3, abs=1e-12
    )

    struct = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    columns: dict[str, list[object]] = {"question": [], "options": [], "answer": []}
    for n in range(1, 5):
        columns[f"image_{n}"] = []
    for record in records:
        for key in ("question", "options", "answer"):
            columns[key].append(record[key])
        for n in range(1, 5):
            path = record.get(f"image_{n}")
            raw = pictures[Path(str(path)).stem] if path else None
            columns[f"image_{n}"].append({"bytes": raw, "path": None} if raw else None)
    table = pa.table({k: pa.array(v, type=struct) if k.startswith("image_") else v for k, v in columns.items()})
    (tmp_path / "pq").mkdir()
    pq.write_table(table, tmp_path / "pq" / "example_val.parquet")
    score, images = _run("general_vmcq", tmp_path / "pq", tmp_path / "out_pq", OPTION_RULE, "example")
    assert score == pytest.approx(1 / 3, abs=1e-12)
    assert sorted(h for entry in images for h in entry) == sorted(
        _sha(pictures[n]) for n in ("Dog", "Dog", "Cat", "Bird", "Fish", "Park")
    )


def test_vmcq_mistakes_in_the_data_stop_the_run_naming_the_record(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "a.jsonl", [{"question": "Q", "options": ["x", "y"], "answer": "C"}])
    with pytest.raises(UserError, match="general_vmcq a record 0 has answer 'C', not among its options A, B"):
        build_adapter("general_vmcq", {"local_path": str(tmp_path), "subset_list": ["a"]}).load()
    write_jsonl(
        tmp_path / "b.jsonl", [{"question": "<image 1> Q", "options": ["x", "y"], "image_1": "no.png", "answer": "A"}]
    )
    with pytest.raises(UserError, match=r"b#0/image_1: image file not found: .*no\.png"):
        build_adapter("general_vmcq", {"local_path": str(tmp_path), "subset_list": ["b"]}).load()


# -- general_vqa ------------------------------------------------------------------------------------


def test_vqa_parts_placeholders_and_base64_reach_the_server_and_score_exactly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "images").mkdir(parents=True)
    dog, tokyo, museum = _png("Dog"), _png("Tokyo"), _png("Museum", background="yellow")
    (data / "images" / "dog.png").write_bytes(dog)
    (data / "images" / "tokyo.png").write_bytes(tokyo)
    museum_url = "data:image/png;base64," + base64.b64encode(museum).decode()
    records = [
        {  # OpenAI parts with a path relative to the data file: reply "Dog" = gold -> ROUGE-L recall 1
            "messages": [
                {"role": "system", "content": "Answer with one word."},
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "What animal is this?"},
                        {"type": "image_url", "image_url": {"url": "images/dog.png", "detail": "low"}},
                    ],
                },
            ],
            "answer": "Dog",
        },
        {  # a placeholder and an image_1 column: reply "Tokyo", gold "Tokyo Tower" -> recall 1/2
            "messages": [{"role": "user", "content": "Which city is this?<image 1>"}],
            "image_1": "images/tokyo.png",
            "answer": "Tokyo Tower",
        },
        {  # a base64 data URL: reply "Museum" = gold -> 1
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "image_url", "image_url": {"url": museum_url}},
                        {"type": "text", "text": "Building?"},
                    ],
                }
            ],
            "answer": "Museum",
        },
    ]
    write_jsonl(data / "example.jsonl", records)
    score, images = _run("general_vqa", data, tmp_path / "out", [Rule(read="text", reply="{read}")], "example")
    assert score == pytest.approx(2.5 / 3, abs=1e-12)  # ROUGE-L recall: 1, 1/2, 1
    assert sorted(h for entry in images for h in entry) == sorted(map(_sha, (dog, tokyo, museum)))

    samples = build_adapter("general_vqa", {"local_path": str(data), "subset_list": ["example"]}).load()["example"]
    assert samples[0].input[0].content == "Answer with one word."
    first = samples[0].input[1].content
    assert isinstance(first, list) and isinstance(first[1], ImagePart) and first[1].detail == "low"
    assert samples[1].input[-1].content[0] == TextPart(text="Which city is this?")  # type: ignore[index]
    third = samples[2].input[-1].content[0]
    assert isinstance(third, ImagePart) and third.source == "example#2/messages[0]/content[0]"  # no base64 kept


def test_vqa_refuses_audio_and_video_parts_naming_where(tmp_path: Path) -> None:
    part = {"type": "video_url", "video_url": {"url": "clip.mp4"}}
    write_jsonl(tmp_path / "v.jsonl", [{"messages": [{"role": "user", "content": [part]}], "answer": "x"}])
    with pytest.raises(
        UserError, match=r"general_vqa v#0/messages\[0\]/content\[0\]: video_url parts are not supported"
    ):
        build_adapter("general_vqa", {"local_path": str(tmp_path), "subset_list": ["v"]}).load()
