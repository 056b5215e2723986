"""The mock server sees images: draw_text / read_image round trips, and rules that answer from pixels."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from PIL import Image
from pydantic import ValidationError

from assay.mock_server import Rule, ServerConfig, ServerHandle, load_rules, run_server_in_thread
from assay.mock_server._image_rules import option_letter
from assay.mock_server.vision import PALETTE, ImageReading, draw_text, read_image
from tests.mock_server.helpers import call


def encode(image: Image.Image, fmt: str = "PNG", **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def halved(image: Image.Image) -> Image.Image:
    """What a client's ``max_pixels`` resizing does to a big image: half the size, Lanczos."""
    return image.resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS)


def contrasting(background: str) -> str:
    red, green, blue = PALETTE[background]
    return "black" if 0.299 * red + 0.587 * green + 0.114 * blue > 128 else "white"


# -- reading back what draw_text drew ----------------------------------------------------------------


@pytest.mark.parametrize("size", [24, 48, 96])
@pytest.mark.parametrize("digit", list("0123456789"))
def test_every_digit_reads_back_at_every_size(digit: str, size: int) -> None:
    assert read_image(encode(draw_text(digit, size=size))) == ImageReading(colour="white", text=digit)


WORDS = ["Hello World", "HELLO WORLD", "hello world", "Quick Brown Fox Jumps", "xoxo", "I l 1 i j"]
ALPHABETS = ["ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz", "3.5 kg, -2 + 40% : $1/3 (ok?)"]


@pytest.mark.parametrize("text", [*WORDS, *ALPHABETS, "A)  two  spaces"])
def test_words_in_either_case_and_punctuation_read_back_exactly(text: str) -> None:
    assert read_image(encode(draw_text(text, size=40))).text == text


@pytest.mark.parametrize("text", ["A) 17\nB) 42\nC) 7", "first line\n\nthird, after a blank one", "x\ny\nz"])
def test_lines_read_back_joined_by_newlines(text: str) -> None:
    assert read_image(encode(draw_text(text, size=32))).text == text


@pytest.mark.parametrize("background", list(PALETTE))
def test_each_palette_colour_is_read_as_the_background(background: str) -> None:
    image = draw_text("Pay $42.50", colour=contrasting(background), background=background)
    assert read_image(encode(image)) == ImageReading(colour=background, text="Pay $42.50")


@pytest.mark.parametrize("colour", list(PALETTE))
def test_text_of_each_palette_colour_reads_on_every_other_background(colour: str) -> None:
    for background in PALETTE.keys() - {colour}:
        image = draw_text("B) 3.14", size=32, colour=colour, background=background)
        assert read_image(encode(image)) == ImageReading(colour=background, text="B) 3.14"), background


@pytest.mark.parametrize("size", [24, 48, 96])
@pytest.mark.parametrize("quality", [75, 95])
def test_jpeg_reads_back(size: int, quality: int) -> None:
    image = draw_text("Answer: 1729", size=size, colour="blue", background="yellow")
    assert read_image(encode(image, "JPEG", quality=quality)) == ImageReading(colour="yellow", text="Answer: 1729")


@pytest.mark.parametrize("size", [24, 36, 48, 96])
@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_text_downscaled_2x_like_a_max_pixels_client_reads_back(size: int, fmt: str) -> None:
    image = halved(draw_text("Hello World\nA) 17 B) 42", size=size))
    options = {"quality": 75} if fmt == "JPEG" else {}
    assert read_image(encode(image, fmt, **options)).text == "Hello World\nA) 17 B) 42"


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "P", "L"])
@pytest.mark.parametrize(("colour", "background"), [("white", "blue"), ("red", "gray"), ("black", "yellow")])
def test_every_colour_mode_reads_back(mode: str, colour: str, background: str) -> None:
    image = draw_text("mode 42", colour=colour, background=background).convert(mode)  # "P" dithers
    reading = read_image(encode(image))
    assert reading.text == "mode 42" and (mode == "L" or reading.colour == background)


def test_a_palette_image_without_dithering_reads_back_downscaled() -> None:
    image = halved(draw_text("A) 17 B) 42", size=24, colour="red", background="green"))
    palette = image.convert("P", palette=Image.Palette.ADAPTIVE)
    assert read_image(encode(palette)) == ImageReading(colour="green", text="A) 17 B) 42")


def test_text_on_a_large_canvas_is_found_at_its_centre() -> None:
    image = draw_text("Total: 99.5%", size=64, colour="purple", background="gray", canvas=(1600, 1200))
    assert image.size == (1600, 1200)
    assert read_image(encode(image)) == ImageReading(colour="gray", text="Total: 99.5%")


def test_an_image_of_only_background_has_no_text() -> None:
    assert read_image(encode(Image.new("RGB", (300, 200), PALETTE["green"]))) == ImageReading("green", "")
    assert read_image(encode(draw_text("", background="orange"))) == ImageReading("orange", "")


def test_bytes_that_are_no_image_are_a_value_error() -> None:
    with pytest.raises(ValueError, match="decode"):
        read_image(b"\x89PNG\r\n\x1a\n" + b"\x00" * 24)


def test_draw_text_refuses_what_it_cannot_draw_or_fit() -> None:
    with pytest.raises(ValueError, match="cannot draw"):
        draw_text("€5")
    with pytest.raises(ValueError, match="unknown colour 'pink'"):
        draw_text("5", colour="pink")
    with pytest.raises(ValueError, match="too small"):
        draw_text("a long line of text", size=48, canvas=(100, 100))


def test_reading_a_1000x1000_image_takes_well_under_100_ms() -> None:
    data = encode(draw_text("Hello World 42\nA) 17 B) 42", size=48, canvas=(1000, 1000)))
    read_image(data)  # the templates of this size are built once, then cached
    best = min(_timed(read_image, data) for _ in range(3))
    assert best < 0.1


def _timed(fn: Any, *args: Any) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def test_importing_the_server_does_not_import_pillow_or_numpy() -> None:
    code = "import sys, assay.mock_server; print('PIL' in sys.modules, 'numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


# -- rules that read the images of a request -----------------------------------------------------------


def data_url(image: Image.Image, fmt: str = "PNG", **options: Any) -> str:
    mime = "image/jpeg" if fmt == "JPEG" else "image/png"
    return f"data:{mime};base64," + base64.b64encode(encode(image, fmt, **options)).decode()


def ask(client: openai.OpenAI, question: str, *urls: str) -> str | None:
    """One chat turn with the question first, then the images, as vision benchmarks send them."""
    parts: list[Any] = [{"type": "text", "text": question}]
    parts += [{"type": "image_url", "image_url": {"url": url}} for url in urls]
    reply = client.chat.completions.create(model="mock-model", messages=[{"role": "user", "content": parts}])
    return reply.choices[0].message.content


READING_RULES = [
    Rule(contains="What colour", read="colour", reply="It is {read}."),
    Rule(contains="Options:", read="option", reply="{read}"),
    Rule(contains="second picture", read="text", image=1, reply="{read}"),
    Rule(contains="boxed", read="text", reply="\\boxed{{read}}"),
    Rule(read="text", replies=["The answer is {read}.", "It says {read}."]),
]


@pytest.fixture
def srv() -> Iterator[ServerHandle]:
    with run_server_in_thread(ServerConfig(rules=READING_RULES, default_reply="no image seen")) as handle:
        yield handle


@pytest.fixture
def client(srv: ServerHandle) -> openai.OpenAI:
    return openai.OpenAI(base_url=srv.url, api_key="unused", max_retries=0)


def test_a_text_rule_answers_with_the_text_drawn_in_the_image(client: openai.OpenAI) -> None:
    assert ask(client, "What does it say?", data_url(draw_text("42"))) == "The answer is 42."
    assert ask(client, "And now?", data_url(draw_text("3.5 kg"))) == "It says 3.5 kg."  # replies in turn


def test_the_reading_survives_a_downscaled_jpeg(client: openai.OpenAI) -> None:
    image = halved(draw_text("1729", size=48, colour="white", background="brown"))
    assert ask(client, "What does it say?", data_url(image, "JPEG", quality=75)) == "The answer is 1729."


def test_a_colour_rule_answers_with_the_background_colour(client: openai.OpenAI) -> None:
    assert ask(client, "What colour is this?", data_url(draw_text("x", background="orange"))) == "It is orange."


def test_an_option_rule_answers_with_the_letter_of_the_option_drawn(client: openai.OpenAI) -> None:
    question = "Which number is shown?\nOptions:\nA) 17\nB) 42\nC) 7"
    assert ask(client, question, data_url(draw_text("42"))) == "B"
    assert ask(client, "Options:\n(A) Paris\n(B) Lyon", data_url(draw_text("LYON"))) == "B"
    assert ask(client, "Options:\nA. 1\nB. 2", data_url(draw_text("9"))) == "9"  # no such option


@pytest.mark.parametrize(
    ("question", "text", "letter"),
    [
        ("Pick one:\nA) 7\nB) 8", "8", "B"),
        ("A. 7\nB. 8", " 7 ", "A"),
        ("(A) seven\n(B) Eight", "EIGHT", "B"),
        ("A: 7\nB: 8\nC: 8", "8", "B"),  # the first one that fits
        ("A) 7\nB) 8", "9", None),
        ("Is it 7? 8) no", "no", None),  # an option's letter is a letter
    ],
)
def test_the_option_read_is_the_letter_of_the_line_whose_text_equals_it(
    question: str, text: str, letter: str | None
) -> None:
    assert option_letter(question, text) == letter


def test_image_picks_which_image_is_read(client: openai.OpenAI) -> None:
    first, second = data_url(draw_text("7")), data_url(draw_text("99"))
    assert ask(client, "What is in the second picture?", first, second) == "99"
    assert ask(client, "What is in the second picture?", first) == "The answer is 7."  # no second image


def test_without_image_index_every_image_is_read_and_joined_by_a_space(client: openai.OpenAI) -> None:
    urls = [data_url(draw_text(text)) for text in ("12", "AB", "x")]
    assert ask(client, "All of them?", *urls) == "The answer is 12 AB x."


def test_braces_other_than_the_placeholder_stay_as_written(client: openai.OpenAI) -> None:
    assert ask(client, "Put it boxed.", data_url(draw_text("8"))) == "\\boxed{8}"


def test_a_request_without_images_does_not_match_a_read_rule(client: openai.OpenAI, srv: ServerHandle) -> None:
    assert ask(client, "What does it say?") == "no image seen"
    assert ask(client, "What colour is this?") == "no image seen"  # 'contains' alone is not enough
    assert srv.stats()["rule_hits"] == [0, 0, 0, 0, 0]


def test_a_read_rule_with_contains_needs_both(client: openai.OpenAI) -> None:
    image = data_url(draw_text("5", background="blue", colour="white"))
    assert ask(client, "What colour is this?", image) == "It is blue."
    assert ask(client, "What hue is this?", image) == "The answer is 5."  # the text rule, not the colour one


def test_remote_and_undecodable_images_are_not_read(client: openai.OpenAI, srv: ServerHandle) -> None:
    remote = "http://127.0.0.1:9/never-fetched.png"
    not_an_image = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 24).decode()
    assert ask(client, "What does it say?", remote) == "no image seen"
    assert ask(client, "What does it say?", not_an_image) == "no image seen"
    assert ask(client, "What does it say?", remote, data_url(draw_text("6"))) == "The answer is 6."
    assert srv.stats()["images"][0]["images"] == [remote]


def test_a_data_url_that_is_not_base64_is_still_a_400(srv: ServerHandle) -> None:
    body = {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:,x"}}]}]}
    assert call(srv.url + "/chat/completions", body).status == 400


def test_images_total_counts_every_image_part_and_resets(client: openai.OpenAI, srv: ServerHandle) -> None:
    ask(client, "none")
    ask(client, "one", data_url(draw_text("1")))
    ask(client, "two", "http://127.0.0.1:9/a.png", data_url(draw_text("2")))
    stats = srv.stats()
    assert stats["images_total"] == 3 and len(stats["images"]) == 2
    srv.reset()
    assert srv.stats()["images_total"] == 0


def test_text_only_requests_never_decode_an_image(srv: ServerHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    decoded: list[bytes] = []
    monkeypatch.setattr("assay.mock_server.vision.read_image", lambda data: decoded.append(data))
    client = openai.OpenAI(base_url=srv.url, api_key="unused", max_retries=0)
    srv.set_rules([Rule(contains="never", read="text", reply="{read}"), Rule(contains="hello", reply="hi")])
    assert ask(client, "hello", data_url(draw_text("1"))) == "hi"  # the read rule's 'contains' failed first
    assert ask(client, "plain text") == "no image seen"
    assert decoded == []


# -- rule validation and rule files ----------------------------------------------------------------------


def test_a_rule_still_needs_something_to_match() -> None:
    with pytest.raises(ValidationError, match=r"exactly one of 'contains' or 'regex'.*'read'"):
        Rule(reply="x")
    with pytest.raises(ValidationError, match="'image' picks the image to read: it needs 'read'"):
        Rule(contains="x", image=0, reply="x")
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        Rule(read="text", image=-1, reply="x")
    with pytest.raises(ValidationError, match="'text', 'colour' or 'option'"):
        Rule(read="pixels", reply="x")  # type: ignore[arg-type]
    assert Rule(read="colour", reply="{read}").contains is None


def test_read_placeholder_in_a_rule_without_read_is_left_as_is() -> None:
    with run_server_in_thread(ServerConfig(rules=[Rule(contains="x", reply="{read} {x}")])) as handle:
        client = openai.OpenAI(base_url=handle.url, api_key="unused", max_retries=0)
        assert ask(client, "x", data_url(draw_text("4"))) == "{read} {x}"


def test_read_rules_load_from_files_and_the_admin_api(tmp_path: Path, srv: ServerHandle) -> None:
    rules = [
        {"contains": "Options:", "read": "option", "image": 0, "reply": "{read}"},
        {"read": "colour", "reply": "c"},
    ]
    (tmp_path / "rules.json").write_text(json.dumps(rules))
    assert load_rules(tmp_path / "rules.json") == [
        Rule(contains="Options:", read="option", image=0, reply="{read}"),
        Rule(read="colour", reply="c"),
    ]
    assert call(srv.root_url + "/admin/rules", rules).status == 200
    assert call(srv.root_url + "/admin/rules", [{"read": "nothing", "reply": "x"}]).status == 400
    client = openai.OpenAI(base_url=srv.url, api_key="unused", max_retries=0)
    assert ask(client, "Options:\nA: 5\nB: 6", data_url(draw_text("6"))) == "B"
