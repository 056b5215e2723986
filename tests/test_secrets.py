"""The one masking rule (``assay.secrets``) that eval's config dumps and perf's stored arguments share."""

from __future__ import annotations

import pytest

from assay.config import TaskConfig
from assay.perf.storage import masked_args
from assay.secrets import mask_secrets, mask_url, scrub, secret_header_values

SECRET_HEADERS = ["Authorization", "X-Api-Key", "Cookie", "Ocp-Apim-Subscription-Key", "X-Goog-Api-Key"]


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("http://user:pass@host:8000/v1", "http://***@host:8000/v1"),
        ("http://sk-token@host/v1", "http://***@host/v1"),
        ("https://user@host/v1?api_key=k&x=1", "https://***@host/v1?api_key=***&x=1"),
        ("http://127.0.0.1:8000/v1?a=b%20c", "http://127.0.0.1:8000/v1?a=b%20c"),
    ],
)
def test_mask_url_hides_the_whole_user_info_and_secret_query_values(url: str, masked: str) -> None:
    assert mask_url(url) == masked


@pytest.mark.parametrize("header", SECRET_HEADERS)
def test_eval_and_perf_mask_the_same_secret_headers(header: str) -> None:
    config = TaskConfig(
        model="m",
        api_url="http://sk-url-token@127.0.0.1:8000/v1",
        generation_config={"extra_headers": {header: "sk-header", "Accept": "json"}},
    )
    eval_dump = config.to_safe_dict()
    perf_dump = masked_args({"url": "http://sk-url-token@127.0.0.1:8000/v1", "headers": {header: "sk-header"}})
    assert eval_dump["generation_config"]["extra_headers"] == {header: "***", "Accept": "json"}
    assert eval_dump["api_url"] == perf_dump["url"] == "http://***@127.0.0.1:8000/v1"
    assert perf_dump["headers"] == {header: "***"}
    assert "sk-" not in str(eval_dump) + str(perf_dump)


def test_counts_and_plain_values_stay() -> None:
    data = {"max_tokens": 5, "extra_headers": {"Accept": "x"}, "note": "see http://host/v1", "api_key": "EMPTY"}
    assert mask_secrets(data) == data


def test_scrub_removes_header_values_and_their_bare_tokens() -> None:
    secrets = secret_header_values({"Authorization": "Bearer sk-abcdef", "X-Trace": "trace-1234"})
    assert secrets == ["Bearer sk-abcdef", "sk-abcdef"]
    assert scrub("got Bearer sk-abcdef, then sk-abcdef; trace-1234", secrets) == "got ***, then ***; trace-1234"
    assert scrub("a b", ["a", "EMPTY"]) == "a b"  # too short to be a key: nothing hidden
