"""No key given to ``assay eval`` ever lands in a file, a log or the terminal (issue 15).

A marker key is planted everywhere a key can be given: ``--api-key``, ``extra_headers``
(``Authorization``, ``X-Api-Key``, ``Cookie``, ``Ocp-Apim-Subscription-Key``), the user-info of
``--api-url`` (a lone token, or ``user:password``), and the judge's ``api_key`` and URL. Both mock
servers answer with the ``400-echo`` fault, which quotes every request header back in the error
message, as careless servers do; the eval model fails only its first request, so the other
answers go on to the judge, which fails every one. Then every file under the output folder,
stdout and stderr are searched for the marker: it must appear nowhere.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from assay.mock_server import Rule, ServerConfig, run_server_in_thread

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "data"
MARKER = "MARKER-1234567890"
KEY = f"sk-{MARKER}"
#: Every generation fails with the echo of its headers (the model's only the first time).
ECHO_FIRST = [Rule(regex=".", reply="ANSWER: A", fault="400-echo", fail_times=1)]
ECHO_ALWAYS = [Rule(regex=".", reply="[[9]]", fault="400-echo")]

#: Where the key goes in each run: --api-key, the URL's user-info, extra_headers, the judge.
PLACES: dict[str, dict[str, Any]] = {
    "api_key_and_key_headers": {
        "api_key": KEY,
        "userinfo": "",
        "headers": {"X-Api-Key": KEY, "Cookie": f"session={KEY}", "Ocp-Apim-Subscription-Key": KEY},
        "judge": {"api_key": KEY},
    },
    "token_in_url_and_authorization_header": {
        "api_key": None,
        "userinfo": f"{KEY}@",
        "headers": {"Authorization": f"Bearer {KEY}"},
        "judge": {"userinfo": f"judge:{KEY}@"},
    },
    "user_and_password_in_url": {"api_key": None, "userinfo": f"user:{KEY}@", "headers": {}, "judge": {}},
}


def with_userinfo(url: str, userinfo: str) -> str:
    return url.replace("http://", f"http://{userinfo}", 1)


@pytest.mark.parametrize("place", sorted(PLACES))
def test_no_key_reaches_any_output_log_or_terminal(tmp_path: Path, place: str) -> None:
    where = PLACES[place]
    dataset_args = {"general_mcq": {"local_path": str(EXAMPLES / "general_mcq"), "subset_list": ["example"]}}
    work_dir = tmp_path / "out"
    with (
        run_server_in_thread(ServerConfig(rules=ECHO_FIRST)) as model_server,
        run_server_in_thread(ServerConfig(rules=ECHO_ALWAYS)) as judge_server,
    ):
        judge_model: dict[str, Any] = {
            "model_id": "judge",
            "api_url": with_userinfo(judge_server.url, where["judge"].get("userinfo", "")),
            "generation_config": {"retries": 0, "extra_headers": {"X-Api-Key": KEY}},
        }
        if "api_key" in where["judge"]:
            judge_model["api_key"] = where["judge"]["api_key"]
        args = [
            *("eval", "--model", "mock-model", "--datasets", "general_mcq", "--limit", "3"),
            *("--api-url", with_userinfo(model_server.url, where["userinfo"])),
            *("--dataset-args", json.dumps(dataset_args)),
            *("--generation-config", json.dumps({"retries": 0, "extra_headers": where["headers"]})),
            *("--judge", json.dumps({"strategy": "llm", "models": [judge_model]})),
            *("--work-dir", str(work_dir), "--no-timestamp", "--no-progress", "--debug"),
        ]
        if where["api_key"] is not None:
            args += ["--api-key", where["api_key"]]
        result = subprocess.run(
            [sys.executable, "-m", "assay", *args], capture_output=True, text=True, timeout=180, cwd=tmp_path
        )
        model_saw = model_server.stats()["by_outcome"]
        judge_saw = judge_server.stats()["by_outcome"]
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode in (0, 1), result.stderr
    # The planted keys did reach the servers and came back in their error messages.
    assert model_saw["400-echo"] == 1 and model_saw["ok"] >= 1, model_saw
    assert judge_saw["400-echo"] >= 1, judge_saw
    files = [path for path in work_dir.rglob("*") if path.is_file()]
    texts = {str(path): path.read_bytes().decode("utf-8", "replace") for path in files}
    assert any("bad request (injected)" in text and "***" in text for text in texts.values())
    texts.update(stdout=result.stdout, stderr=result.stderr)
    leaks = [name for name, text in texts.items() if MARKER in text]
    assert leaks == [], leaks
