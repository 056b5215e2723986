"""Prompt sources of ``assay perf``: EvalScope's datasets, exact random lengths, clear shape errors."""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
from itertools import islice
from pathlib import Path
from typing import Any

import pytest

from assay.errors import UserError
from assay.perf.arguments import PerfArguments
from assay.perf.plugins import Prompt, get_prompt_source
from assay.perf.prompts import uses_chat_messages
from assay.perf.tokenizer import load_token_counter, load_tokenizer
from tests.conftest import shared_data

CHAT_URL = "http://127.0.0.1:8000/v1/chat/completions"
COMPLETIONS_URL = "http://127.0.0.1:8000/v1/completions"


def perf_args(**overrides: Any) -> PerfArguments:
    values: dict[str, Any] = {"model": "m", "url": CHAT_URL}
    values.update(overrides)
    return PerfArguments(**values)


def take(args: PerfArguments, n: int | None = None) -> list[Prompt]:
    prompts = get_prompt_source(args).prompts()
    return list(prompts if n is None else islice(prompts, n))


def write_jsonl(path: Path, records: list[Any]) -> Path:
    path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def smollm2_dir() -> Path:
    """SmolLM2's local Hugging Face folder (tokenizer with a chat template), or skip."""
    if importlib.util.find_spec("transformers") is None:
        pytest.skip("transformers is not installed")
    from assay.models.smollm2 import ensure_hf_folder

    try:
        return ensure_hf_folder()
    except (UserError, ImportError) as exc:
        pytest.skip(f"SmolLM2 tokenizer unavailable: {exc}")


@pytest.fixture
def sonnet() -> Path:
    return shared_data("sonnet") / "sonnet.txt"


# ---- chat or text ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "api", "flag", "chat"),
    [
        (CHAT_URL, "openai", None, True),
        (COMPLETIONS_URL, "openai", None, False),
        ("http://h:8000/v1", "openai", None, True),
        ("http://h:8000/v1", "openai_completions", None, False),
        ("http://h:8000/v1/embeddings", "embeddings", None, False),
        (COMPLETIONS_URL, "openai", True, True),
        (CHAT_URL, "openai", False, False),
    ],
)
def test_chat_mode_follows_evalscope_url_rule_unless_flag_given(
    url: str, api: str, flag: bool | None, chat: bool
) -> None:
    assert uses_chat_messages(perf_args(url=url, api=api, apply_chat_template=flag)) is chat


# ---- line_by_line -----------------------------------------------------------------------------------


def test_line_by_line_yields_every_non_empty_sonnet_line_as_a_user_message(sonnet: Path) -> None:
    lines = [line.strip() for line in sonnet.read_text(encoding="utf-8").splitlines() if line.strip()]
    prompts = take(perf_args(dataset="line_by_line", dataset_path=str(sonnet)))
    assert len(prompts) == len(lines)
    assert prompts[0] == Prompt(messages=[{"role": "user", "content": lines[0]}])
    assert [p.messages[0]["content"] for p in prompts if p.messages] == lines


def test_line_by_line_sends_plain_text_to_a_completions_endpoint(sonnet: Path) -> None:
    prompts = take(perf_args(dataset="line_by_line", dataset_path=str(sonnet), url=COMPLETIONS_URL), 2)
    assert prompts[0].text == "FROM fairest creatures we desire increase,"
    assert prompts[0].messages is None and prompts[0].prompt_tokens is None


def test_line_by_line_reads_json_message_lines_and_rejects_request_options(tmp_path: Path) -> None:
    path = tmp_path / "lines.txt"
    conversation = [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "Hi"}]
    path.write_text(f'{json.dumps(conversation)}\n\n[Verse 1] not json\n{{"prompt": "P"}}\n', encoding="utf-8")
    prompts = take(perf_args(dataset="line_by_line", dataset_path=str(path)))
    assert [p.messages for p in prompts] == [
        conversation,
        [{"role": "user", "content": "[Verse 1] not json"}],
        [{"role": "user", "content": "P"}],
    ]
    path.write_text('{"messages": [{"role": "user", "content": "x"}], "temperature": 0.6}\n', encoding="utf-8")
    with pytest.raises(UserError, match=rf"{path}:1: .*not 'temperature'.*--extra-args"):
        take(perf_args(dataset="line_by_line", dataset_path=str(path)))


def test_line_by_line_without_a_path_says_it_needs_one() -> None:
    with pytest.raises(UserError, match="--dataset line_by_line needs --dataset-path"):
        take(perf_args(dataset="line_by_line"))


# ---- openqa -----------------------------------------------------------------------------------------


def test_openqa_reads_stripped_questions_from_a_file_or_its_folder(tmp_path: Path) -> None:
    write_jsonl(
        tmp_path / "open_qa.jsonl", [{"question": " 天空为什么是蓝色的？ ", "human_answers": []}, {"question": "2+2?"}]
    )
    for path in (tmp_path / "open_qa.jsonl", tmp_path):
        prompts = take(perf_args(dataset="openqa", dataset_path=str(path), url=COMPLETIONS_URL))
        assert [p.text for p in prompts] == ["天空为什么是蓝色的？", "2+2?"]


def test_openqa_record_without_question_names_file_line_and_fields(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "qa.jsonl", [{"question": "ok"}, {"prompt": "x", "answer": "y"}])
    with pytest.raises(UserError) as caught:
        take(perf_args(dataset="openqa", dataset_path=str(path)))
    message = str(caught.value)
    assert f"{path}:2: record has no 'question' field (fields found: 'prompt', 'answer')" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('{"question": "a"}\nnot json\n', r":2: not valid JSON"),
        ('"just text"\n', r":1: a JSON string, not an object"),
        ('["a", "b"]\n', r"qa.jsonl\[0\]: a JSON string, not an object"),
        ('{"question": 3}\n', r":1: 'question' is a JSON number, not a string"),
        ("", r"holds no prompts"),
    ],
)
def test_openqa_file_of_the_wrong_shape_is_one_clear_error(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "qa.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UserError, match=problem):
        take(perf_args(dataset="openqa", dataset_path=str(path)))


def test_openqa_missing_file_is_a_user_error(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.jsonl")
    with pytest.raises(UserError, match="does not exist"):  # arguments built from Python are checked too
        PerfArguments.build({"model": "m", "url": CHAT_URL, "dataset": "openqa", "dataset_path": missing})
    unchecked = perf_args(dataset="openqa").model_copy(update={"dataset_path": missing})
    with pytest.raises(UserError, match="does not exist"):  # and the source itself refuses it
        take(unchecked)


def test_length_filter_counts_characters_without_a_tokenizer(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "qa.jsonl", [{"question": "x" * n} for n in (3, 5, 8)])
    args = perf_args(dataset="openqa", dataset_path=str(path), url=COMPLETIONS_URL, min_prompt_length=4)
    assert [len(p.text or "") for p in take(args.model_copy(update={"max_prompt_length": 6}))] == [5]
    with pytest.raises(UserError, match=r"none of the 3 prompts .* range from 3 to 8"):
        take(args.model_copy(update={"min_prompt_length": 9}))


# ---- --prompt and --system-prompt --------------------------------------------------------------------


def test_fixed_prompt_replaces_the_dataset_without_reading_it(tmp_path: Path) -> None:
    args = perf_args(dataset="openqa", dataset_path=str(tmp_path / "absent.jsonl"), prompt="Tell me a joke.")
    assert take(args) == [Prompt(messages=[{"role": "user", "content": "Tell me a joke."}])]
    (tmp_path / "p.txt").write_text("From a file.", encoding="utf-8")
    args = perf_args(dataset="random", prompt=f"@{tmp_path / 'p.txt'}", url=COMPLETIONS_URL, min_prompt_length=99)
    assert take(args) == [Prompt(text="From a file.")]


def test_system_prompt_leads_chat_prompts_and_is_reported_missing_from_text_ones(
    sonnet: Path, caplog: pytest.LogCaptureFixture
) -> None:
    args = perf_args(dataset="line_by_line", dataset_path=str(sonnet), system_prompt="You are a poet.")
    first = take(args, 1)[0]
    assert first.messages == [
        {"role": "system", "content": "You are a poet."},
        {"role": "user", "content": "FROM fairest creatures we desire increase,"},
    ]
    with caplog.at_level(logging.WARNING, logger="assay.perf"):
        assert take(args.model_copy(update={"url": COMPLETIONS_URL}), 1)[0].text is not None
    assert "system prompt is not sent" in caplog.text


# ---- sharegpt and custom -----------------------------------------------------------------------------


def test_sharegpt_json_array_sends_the_first_human_turn(tmp_path: Path) -> None:
    records = [
        {"id": "a", "conversations": [{"from": "human", "value": "First?"}, {"from": "gpt", "value": "Yes."}]},
        {"id": "b", "conversations": [{"from": "gpt", "value": "Only the model."}]},
        {"id": "c", "conversations": [{"from": "system", "value": "s"}, {"from": "human", "value": "Second?"}]},
    ]
    path = tmp_path / "sharegpt.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    prompts = take(perf_args(dataset="sharegpt", dataset_path=str(path)))
    assert [p.messages for p in prompts] == [
        [{"role": "user", "content": "First?"}],
        [{"role": "user", "content": "Second?"}],
    ]


def test_sharegpt_swift_layout_keeps_the_conversation_up_to_the_last_human_turn(tmp_path: Path) -> None:
    turns = [{"human": "Hi", "assistant": "Hello!"}, {"human": "Why?", "assistant": "Because."}]
    path = write_jsonl(tmp_path / "common_en_70k.jsonl", [{"conversation": turns}, {"conversation": []}])
    expected = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "Why?"},
    ]
    assert [p.messages for p in take(perf_args(dataset="share_gpt_en", dataset_path=str(tmp_path)))] == [expected]
    assert take(perf_args(dataset="sharegpt", dataset_path=str(path), url=COMPLETIONS_URL)) == [Prompt(text="Why?")]


def test_sharegpt_record_of_the_wrong_shape_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps([{"messages": []}]), encoding="utf-8")
    with pytest.raises(
        UserError, match=rf"{path}\[0\]: record has no 'conversations' field \(fields found: 'messages'\)"
    ):
        take(perf_args(dataset="sharegpt", dataset_path=str(path)))
    path.write_text(json.dumps([{"conversations": "text"}]), encoding="utf-8")
    with pytest.raises(UserError, match="'conversations' must be a list of turn objects"):
        take(perf_args(dataset="sharegpt", dataset_path=str(path)))


def test_custom_reads_text_prompt_and_messages_lines(tmp_path: Path) -> None:
    path = tmp_path / "perf_data.txt"
    path.write_text('plain line\n{"prompt": "as text"}\n{"messages": [{"role": "user", "content": "M"}]}\n')
    prompts = take(perf_args(dataset="custom", dataset_path=str(path), url=COMPLETIONS_URL))
    assert [p.text for p in prompts] == ["plain line", "as text", "M"]


# ---- speed_benchmark -------------------------------------------------------------------------------------


def test_speed_benchmark_sends_evalscope_lengths_twice_as_completions_text() -> None:
    source = get_prompt_source(perf_args(dataset="speed_benchmark"))
    assert getattr(source, "api", None) == "openai_completions"
    prompts = list(source.prompts())
    assert [len(p.text or "") for p in prompts] == [1, 1, 6144, 6144, 14336, 14336, 30720, 30720]
    assert {p.text[:1] for p in prompts if p.text} == {"熵"} and all(p.messages is None for p in prompts)
    long = list(get_prompt_source(perf_args(dataset="speed_benchmark_long")).prompts())
    assert [len(p.text or "") for p in long] == [63488, 63488, 129024, 129024]


# ---- random (needs a tokenizer) --------------------------------------------------------------------------


def test_random_without_a_tokenizer_says_it_needs_one() -> None:
    with pytest.raises(UserError, match="--dataset random needs --tokenizer-path"):
        get_prompt_source(perf_args(dataset="random"))


def test_random_text_prompts_have_exact_token_lengths(smollm2_dir: Path) -> None:
    args = perf_args(
        dataset="random",
        url=COMPLETIONS_URL,
        tokenizer_path=str(smollm2_dir),
        min_prompt_length=50,
        max_prompt_length=300,
    )
    tokenizer = load_tokenizer(str(smollm2_dir)).backend
    prompts = take(args.model_copy(update={"seed": 7}), 40)
    lengths = [len(tokenizer.encode(p.text, add_special_tokens=False)) for p in prompts]
    assert lengths == [p.prompt_tokens for p in prompts]
    assert all(50 <= n <= 300 for n in lengths) and len(set(lengths)) > 10
    assert take(args.model_copy(update={"seed": 7}), 40) == prompts  # seeded: reproducible


def test_random_chat_prompts_count_the_template_and_share_the_prefix(smollm2_dir: Path) -> None:
    args = perf_args(
        dataset="random",
        tokenizer_path=str(smollm2_dir),
        min_prompt_length=64,
        max_prompt_length=64,
        prefix_length=16,
        system_prompt="Be brief.",
        seed=1,
    )
    tokenizer = load_tokenizer(str(smollm2_dir)).backend
    prompts = take(args, 10)
    for prompt in prompts:
        assert prompt.messages is not None and prompt.messages[0] == {"role": "system", "content": "Be brief."}
        ids = tokenizer.apply_chat_template(prompt.messages, tokenize=True, add_generation_prompt=True)
        ids = ids["input_ids"] if hasattr(ids, "keys") else ids
        assert len(ids) == prompt.prompt_tokens == 64 + 16  # EvalScope: the prefix comes on top
    contents = [p.messages[1]["content"] for p in prompts if p.messages]
    prefix = tokenizer.decode(tokenizer.encode(contents[0], add_special_tokens=False)[:16])
    assert all(content.startswith(prefix) for content in contents)
    assert len(set(contents)) == len(contents)


def test_random_tokenize_prompt_yields_ids_of_the_drawn_length(smollm2_dir: Path) -> None:
    args = perf_args(
        dataset="random",
        tokenizer_path=str(smollm2_dir),
        tokenize_prompt=True,
        min_prompt_length=10,
        max_prompt_length=20,
        prefix_length=4,
        seed=3,
    )
    prompts = take(args, 30)
    special = set(load_tokenizer(str(smollm2_dir)).backend.all_special_ids)
    for prompt in prompts:
        assert prompt.token_ids is not None and prompt.text is None and prompt.messages is None
        assert prompt.prompt_tokens == len(prompt.token_ids) and 14 <= len(prompt.token_ids) <= 24
        assert not special & set(prompt.token_ids)
    assert len({tuple(p.token_ids[:4]) for p in prompts if p.token_ids}) == 1


def test_random_source_continues_its_stream_across_runs(smollm2_dir: Path) -> None:
    source = get_prompt_source(
        perf_args(dataset="random", tokenizer_path=str(smollm2_dir), min_prompt_length=40, max_prompt_length=40, seed=5)
    )
    first_run = list(islice(source.prompts(), 3))
    second_run = list(islice(source.prompts(), 3))
    assert not set(map(repr, first_run)) & set(map(repr, second_run))


def test_random_max_length_below_the_chat_template_is_a_user_error(smollm2_dir: Path) -> None:
    with pytest.raises(UserError, match="shorter than the chat template's own"):
        get_prompt_source(perf_args(dataset="random", tokenizer_path=str(smollm2_dir), max_prompt_length=5))


# ---- tokenizer-measured prompts -----------------------------------------------------------------------


def test_tokenizer_filters_chat_prompts_by_templated_length(sonnet: Path, smollm2_dir: Path) -> None:
    args = perf_args(dataset="line_by_line", dataset_path=str(sonnet), tokenizer_path=str(smollm2_dir))
    tokenizer = load_tokenizer(str(smollm2_dir))
    prompts = take(args, 20)
    for prompt in prompts:
        assert prompt.messages is not None
        assert prompt.prompt_tokens == tokenizer.count_messages(prompt.messages)
    cutoff = sorted(p.prompt_tokens or 0 for p in prompts)[10]
    kept = take(args.model_copy(update={"max_prompt_length": cutoff}), 5)
    assert all((p.prompt_tokens or 0) <= cutoff for p in kept)


def test_tokenize_prompt_turns_file_prompts_into_ids(sonnet: Path, smollm2_dir: Path) -> None:
    args = perf_args(
        dataset="line_by_line", dataset_path=str(sonnet), tokenizer_path=str(smollm2_dir), tokenize_prompt=True
    )
    tokenizer = load_tokenizer(str(smollm2_dir))
    chat_ids = take(args, 1)[0].token_ids
    text_ids = take(args.model_copy(update={"url": COMPLETIONS_URL}), 1)[0].token_ids
    line = "FROM fairest creatures we desire increase,"
    assert chat_ids == tokenizer.chat_ids([{"role": "user", "content": line}])
    assert text_ids == tokenizer.encode(line)


class _BosTokenizer:
    """A stand-in tokenizer: one token per character, and a BOS (id 1) unless told otherwise."""

    def encode(self, text: str, add_special_tokens: bool = True) -> list[int]:
        return ([1] if add_special_tokens else []) + [ord(c) for c in text]


def test_text_prompt_length_counts_the_bos_a_completions_server_adds(
    sonnet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assay.perf.prompts import _base
    from assay.perf.tokenizer import Tokenizer

    monkeypatch.setattr(_base, "load_tokenizer", lambda path: Tokenizer(_BosTokenizer(), path))
    args = perf_args(dataset="line_by_line", dataset_path=str(sonnet), url=COMPLETIONS_URL, tokenizer_path="fake")
    line = "FROM fairest creatures we desire increase,"
    assert take(args, 1)[0].prompt_tokens == len(line) + 1
    tokenized = take(args.model_copy(update={"tokenize_prompt": True}), 1)[0]
    assert tokenized.token_ids == [ord(c) for c in line] and tokenized.prompt_tokens == len(line)


def test_token_counter_counts_without_special_tokens(smollm2_dir: Path) -> None:
    count = load_token_counter(str(smollm2_dir))
    assert count is not None and count("hello world") == 2
    assert load_token_counter(None) is None


def test_bad_tokenizer_path_is_a_user_error(tmp_path: Path) -> None:
    if importlib.util.find_spec("transformers") is None:
        pytest.skip("transformers is not installed")
    with pytest.raises(UserError, match=r"cannot load a tokenizer from --tokenizer-path .*offline"):
        load_tokenizer(str(tmp_path / "no-such-model"))


def test_missing_transformers_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "transformers", None)
    load_tokenizer.cache_clear()
    with pytest.raises(UserError, match=r"pip install 'transformers"):
        load_tokenizer("/anywhere")
