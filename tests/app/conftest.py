"""Browser fixtures for the viewer's pages: real runs made against the test server, the viewer
serving them, and a headless Chromium (Debian's, driven by Playwright) that fails the test on any
console error. Every fixture here is named ``browser_*``.

The outputs hold, with the verdict of every sample known in advance:

* ``20260101_120000`` (model-a): general_mcq (correct, wrong, errored, truncated, no answer, a
  ``<think>`` block with HTML-like text) and gsm8k (correct, wrong, two excluded);
* ``20260102_120000`` (model-b): general_mcq, differing from model-a on three known samples;
* ``20260104_120000`` (model-judged): gsm8k graded by an LLM judge: right, wrong, no readable verdict;
* ``20260103_120000`` (model-code): three HumanEval problems run in the sandbox (passed, failed,
  ZeroDivisionError), when bubblewrap, root and ../shared/data are there;
* ``20260106_120000`` (model-c): general_mcq scored by option log-likelihoods (a backend that gives
  each option ``-len(option)/4`` per character block, see :class:`OptionLikelihoods`);
* ``20260107_120000`` (model-vision): toy_vmcq, two questions about 1200-pixel JPEG pictures, which
  the run keeps as 768-pixel thumbnails;
* ``perf/fast`` and ``perf/slow``: two perf sweeps (concurrency 1, 2, 4) with different latencies;
  the last run of ``perf/slow`` has its client self-check verdict set to "client-bound" afterwards.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from assay import TaskConfig, run_task
from assay.mock_server import Rule, ServerConfig, run_server_in_thread
from assay.models import register_model_api
from assay.models.mock_llm import MockLLM
from assay.types import ChatMessage
from tests.conftest import SHARED_DATA
from tests.engine.vmcq import vmcq_data

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "data"
RUN_A, RUN_B, RUN_CODE, RUN_JUDGED = "20260101_120000", "20260102_120000", "20260103_120000", "20260104_120000"
RUN_C, RUN_VISION = "20260106_120000", "20260107_120000"
PERF_FAST, PERF_SLOW = "perf/fast", "perf/slow"
CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")

#: general_mcq's example subset: gold letters of example-0 ... example-11.
MCQ_GOLD = "BCBCBDCCADBB"
THINK_REPLY = "<think>The heart pumps blood; the <b>liver</b> filters it.</think>ANSWER: D"
LONG_REPLY = "Water boils when it is hot, and that depends on the pressure of the air around the pot, so " * 3
MCQ_RULES_A = [
    Rule(contains="closest to the Sun", reply="ANSWER: B"),  # example-0 correct
    Rule(contains="sodium", reply="ANSWER: A"),  # example-1 wrong (gold C)
    Rule(contains="hexagon", reply="ANSWER: B"),  # example-2 correct
    Rule(contains="photosynthesis", reply="ANSWER: C", fault="500"),  # example-3 errored
    Rule(contains="boiling point", reply=LONG_REPLY),  # example-4 truncated, nothing extracted
    Rule(contains="pumps blood", reply=THINK_REPLY),  # example-5 correct after a think block
    Rule(contains="12 multiplied", reply="ANSWER: B"),  # example-6 wrong (gold C)
]  # the rest answer "ANSWER: A": only example-8 (gold A) is right
#: model-b: example-1 and example-6 right, example-2 wrong; everything else as model-a.
MCQ_RULES_B = [
    Rule(contains="sodium", reply="ANSWER: C"),
    Rule(contains="hexagon", reply="ANSWER: C"),
    Rule(contains="12 multiplied", reply="ANSWER: C"),
    *[r for r in MCQ_RULES_A if r.contains not in ("sodium", "hexagon", "12 multiplied")],
]
GSM8K_RECORDS = [
    {"question": "How many apples are in 4 bags of 2?", "answer": "4 * 2\n#### 8"},  # main-0 correct
    {"question": "How many pears are in 6 bags of 6?", "answer": "6 * 6\n#### 36"},  # main-1 wrong
    {"question": "How many plums are left?", "answer": "none\n#### )(*"},  # main-2 excluded
    {"question": "How many figs are left?", "answer": "none\n#### \\frac{"},  # main-3 excluded
]
GSM8K_RULES = [
    Rule(contains="apples", reply="4 bags of 2 is \\boxed{8}"),
    Rule(contains="pears", reply="6 bags of 6 is \\boxed{35}"),
    Rule(contains="plums", reply="\\boxed{7}"),
    Rule(contains="figs", reply="\\boxed{7}"),
]


def _eval(work_dir: Path, model: str, rules: list[Rule], datasets: list[str], dataset_args: dict[str, Any]) -> None:
    with run_server_in_thread(ServerConfig(rules=rules)) as srv:
        config = TaskConfig(
            model=model,
            api_url=srv.url,
            datasets=datasets,
            dataset_args=dataset_args,
            work_dir=str(work_dir),
            no_timestamp=True,
            ignore_errors=True,
            generation_config={"max_tokens": 24, "retries": 0},
        )
        run_task(config, show_progress=False)


def _mcq_args() -> dict[str, Any]:
    return {"local_path": str(EXAMPLES / "general_mcq"), "subset_list": ["example"]}


def make_eval_runs(root: Path) -> None:
    """model-a (general_mcq + gsm8k), model-b (general_mcq) and model-judged (gsm8k) under ``root``."""
    gsm8k = root.parent / "gsm8k_data"
    gsm8k.mkdir(exist_ok=True)
    (gsm8k / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in GSM8K_RECORDS), encoding="utf-8")
    _eval(
        root / RUN_A,
        "model-a",
        MCQ_RULES_A + GSM8K_RULES,
        ["general_mcq", "gsm8k"],
        {"general_mcq": _mcq_args(), "gsm8k": {"local_path": str(gsm8k), "few_shot_num": 0}},
    )
    _eval(root / RUN_B, "model-b", MCQ_RULES_B, ["general_mcq"], {"general_mcq": _mcq_args()})
    make_judged_run(root, gsm8k)
    make_likelihood_run(root)
    make_vision_run(root)


@register_model_api("viewer_option_likelihoods")
class OptionLikelihoods(MockLLM):
    """A model that scores options without weights: an option of ``c`` characters gets the
    log-likelihood ``-c / 4`` over ``1 + c // 8`` tokens (shorter options are more likely)."""

    async def loglikelihood(
        self, context: list[ChatMessage] | str, continuations: list[str]
    ) -> list[tuple[float, int]]:
        return [(-len(text) / 4, 1 + len(text) // 8) for text in continuations]


def make_likelihood_run(root: Path) -> None:
    """model-c: general_mcq chosen by per-token log-likelihood (``choice_scoring: loglikelihood_norm``)."""
    config = TaskConfig(
        model="model-c",
        eval_type="viewer_option_likelihoods",
        datasets=["general_mcq"],
        dataset_args={"general_mcq": {**_mcq_args(), "extra_params": {"choice_scoring": "loglikelihood_norm"}}},
        work_dir=str(root / RUN_C),
        no_timestamp=True,
    )
    run_task(config, show_progress=False)


def make_vision_run(root: Path) -> None:
    """model-vision: toy_vmcq with 1200-pixel pictures (red-7 answered right, blue-3 wrong)."""
    data = root.parent / "vmcq_data"
    vmcq_data(data, size=1200, fmt="JPEG")
    rules = [Rule(contains="red square", reply="ANSWER: A"), Rule(contains="blue square", reply="ANSWER: B")]
    _eval(root / RUN_VISION, "model-vision", rules, ["toy_vmcq"], {"toy_vmcq": {"local_path": str(data)}})


def make_judged_run(root: Path, gsm8k: Path) -> None:
    """gsm8k graded by an LLM judge (strategy ``llm``): the model's replies hold no number, the judge
    says main-0 is right (A), main-1 wrong (B) and gives no readable verdict on main-2 (excluded)."""
    verdicts = [("8", "A"), ("36", "B"), (")(*", "Hmm, hard to say.")]
    judge_rules = [Rule(regex=rf"\[Reference Answer\]\n{re.escape(gold)}\n", reply=reply) for gold, reply in verdicts]
    unextractable = "I worked it out carefully and the answer is the value asked for."
    with (
        run_server_in_thread(ServerConfig(default_reply=unextractable)) as model,
        run_server_in_thread(ServerConfig(rules=judge_rules)) as judge,
    ):
        config = TaskConfig(
            model="model-judged",
            api_url=model.url,
            datasets=["gsm8k"],
            dataset_args={"gsm8k": {"local_path": str(gsm8k), "few_shot_num": 0}},
            limit=3,
            judge={
                "strategy": "llm",
                "models": [{"model_id": "judge-model", "api_url": judge.url, "generation_config": {"retries": 0}}],
            },
            work_dir=str(root / RUN_JUDGED),
            no_timestamp=True,
        )
        run_task(config, show_progress=False)


def make_code_run(root: Path) -> bool:
    """Three HumanEval problems (passed, failed, ZeroDivisionError); False when the sandbox or data is missing."""
    data = SHARED_DATA / "humaneval"
    if shutil.which("bwrap") is None or os.geteuid() != 0 or not data.exists():
        return False
    with gzip.open(data / "HumanEval.jsonl.gz", "rt", encoding="utf-8") as handle:
        problems = [json.loads(line) for line, _ in zip(handle, range(3), strict=False)]
    bodies = [problems[0]["canonical_solution"], "    return None\n", "    return 1 / 0\n"]
    rules = [
        Rule(contains=p["prompt"].strip(), reply=f"```python\n{p['prompt']}{body}```\n")
        for p, body in zip(problems, bodies, strict=True)
    ]
    with run_server_in_thread(ServerConfig(rules=rules)) as srv:
        config = TaskConfig(
            model="model-code",
            api_url=srv.url,
            datasets=["humaneval"],
            dataset_args={"humaneval": {"local_path": str(data)}},
            limit=3,
            work_dir=str(root / RUN_CODE),
            no_timestamp=True,
        )
        run_task(config, show_progress=False)
    return True


def make_perf_sweeps(root: Path) -> None:
    """Two sweeps over concurrency 1, 2, 4: ``perf/fast`` (TTFT 10 ms) and ``perf/slow`` (TTFT 40 ms, one warning)."""
    from assay.perf.arguments import PerfArguments
    from assay.perf.runner import run_perf

    for name, ttft_ms in (("fast", 10), ("slow", 40)):
        with run_server_in_thread(
            ServerConfig(default_reply="one two three four five six", ttft_ms=ttft_ms, itl_ms=2)
        ) as srv:
            args = PerfArguments(
                model="org/mock-model",
                url=srv.url,
                prompt="hello there",
                max_tokens=[16],
                parallel=[1, 2, 4],
                number=[4, 8, 16],
                stream=True,
                outputs_dir=str(root / "perf"),
                name=name,
                no_timestamp=True,
                sleep_interval=0,
            )
            run_perf(args, console=Console(file=io.StringIO()))
    # A client that could not keep up is hard to cause on purpose; its verdict is what the viewer reads.
    summary_path = root / PERF_SLOW / "parallel_4_number_16" / "benchmark_summary.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    summary["Client Verdict"] = "client-bound: not trustworthy (CPU 97% of a core)"
    summary_path.write_text(json.dumps(summary, indent=4), encoding="utf-8")


@pytest.fixture(scope="session")
def browser_outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The outputs folder described in the module docstring (the code run only where it can run)."""
    root = tmp_path_factory.mktemp("viewer") / "outputs"
    root.mkdir()

    def make_all() -> None:
        make_eval_runs(root)
        make_code_run(root)
        make_perf_sweeps(root)

    # In a thread of its own: Playwright's sync API may already run an event loop in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(make_all).result()
    return root


class _Served:
    """A uvicorn server running the viewer in a thread, on a free port."""

    def __init__(self, outputs: Path) -> None:
        import uvicorn

        from assay.app.server import create_app

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        config = uvicorn.Config(create_app(outputs), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{port}/"

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the viewer did not start")
            time.sleep(0.02)
        return self.url

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser_serve() -> Callable[[Path], _Served]:
    """Serve an outputs folder with the viewer: ``with browser_serve(folder) as url: ...``."""
    pytest.importorskip("uvicorn", reason="the viewer needs the app extra: pip install 'assay[app]'")
    pytest.importorskip("assay.app.server", reason="the viewer's server module is missing")
    return _Served


@pytest.fixture(scope="module")
def browser_url(browser_serve: Callable[[Path], _Served], browser_outputs: Path) -> Iterator[str]:
    """The viewer's address, serving :func:`browser_outputs`."""
    with browser_serve(browser_outputs) as url:
        yield url


def _chromium() -> str | None:
    """$ASSAY_CHROMIUM if set (and there), else Debian's chromium."""
    chosen = os.environ.get("ASSAY_CHROMIUM")
    if chosen:
        return chosen if Path(chosen).is_file() else None
    return next((p for p in CHROMIUM_PATHS if Path(p).exists()), None) or shutil.which("chromium")


@pytest.fixture(scope="module")
def browser_chromium() -> Iterator[Any]:
    """Headless Chromium from Debian (never a browser Playwright downloads).

    Module-scoped on purpose: while Playwright's sync API is open it keeps an event loop on this
    thread, and every later test that runs its own loop (``asyncio.run``) would fail.
    """
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="browser tests need playwright: pip install playwright"
    )
    executable = _chromium()
    if executable is None:
        pytest.skip("browser tests need Chromium: apt-get install chromium (or set ASSAY_CHROMIUM)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def browser_screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where page screenshots go: $ASSAY_SCREENSHOT_DIR, else a pytest temp folder."""
    folder = os.environ.get("ASSAY_SCREENSHOT_DIR")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class BrowserPage:
    """A page of the viewer; console errors and uncaught exceptions are collected in ``errors``."""

    page: Any
    url: str
    screenshots: Path
    errors: list[str] = field(default_factory=list)

    def open(self, route: str, base: str | None = None) -> Any:
        """Load the viewer (at ``base``, default the shared one) at ``#<route>`` and wait until the network is quiet."""
        self.page.goto(f"{base or self.url}#{route}")
        self.page.wait_for_load_state("networkidle")
        return self.page

    def shot(self, name: str) -> Path:
        """Save a full-page screenshot as ``<name>.png`` in the screenshot folder."""
        path = self.screenshots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def browser_page(browser_chromium: Any, browser_url: str, browser_screenshots: Path) -> Iterator[BrowserPage]:
    """A fresh page on the viewer; the test fails if the page logged an error or threw."""
    context = browser_chromium.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    wrapped = BrowserPage(page, browser_url, browser_screenshots)
    page.on("console", lambda message: message.type == "error" and wrapped.errors.append(message.text))
    page.on("pageerror", lambda error: wrapped.errors.append(f"uncaught: {error}"))
    yield wrapped
    context.close()
    assert wrapped.errors == [], f"the page logged errors: {wrapped.errors}"
