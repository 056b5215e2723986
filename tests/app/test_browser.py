"""The viewer's pages in a real browser: every page opens without a console error, filters and
search show exactly the expected samples, a wrong sample shows why it is wrong, two runs compare
on their known disagreements, perf sweeps draw their charts, and an eval sweep of two models
is one page with its score grid.

The runs and their known verdicts are described in ``conftest.py``; screenshots of every page go
to ``$ASSAY_SCREENSHOT_DIR`` (default: a pytest temp folder).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.app.conftest import (
    PERF_FAST,
    PERF_SLOW,
    RUN_A,
    RUN_B,
    RUN_C,
    RUN_CODE,
    RUN_JUDGED,
    RUN_VISION,
    BrowserPage,
)

sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need playwright: pip install playwright")
expect = sync_api.expect

pytestmark = pytest.mark.timeout(300)

MCQ = f"/run/{RUN_A}/samples?benchmark=general_mcq"


def keys(page: Any) -> list[str]:
    """The sample keys of the rows the samples table shows now."""
    return [
        str(k) for k in page.locator("#samples-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.key)")
    ]


def shows_keys(page: Any, expected: list[str]) -> None:
    """Wait until the samples table shows exactly ``expected`` (in any order)."""
    expect(page.locator("#samples-table tbody tr")).to_have_count(len(expected))
    assert sorted(keys(page)) == sorted(expected)


def mcq(*numbers: int) -> list[str]:
    return [f"example-{n}#0" for n in numbers]


def test_runs_page_lists_sorts_and_filters_every_run(browser_page: BrowserPage, browser_outputs: Path) -> None:
    page = browser_page.open("/runs")
    rows = page.locator("#runs-table tbody tr")
    expected = {RUN_A, RUN_B, RUN_C, RUN_JUDGED, RUN_VISION, PERF_FAST, PERF_SLOW}
    expected |= {RUN_CODE} if (browser_outputs / RUN_CODE).exists() else set()
    expect(rows).to_have_count(len(expected))
    assert set(rows.evaluate_all("rows => rows.map(r => r.dataset.id)")) == expected
    row_a = page.locator(f'tr[data-id="{RUN_A}"]')
    expect(row_a).to_contain_text("general_mcq, gsm8k")
    expect(row_a).to_contain_text("2 excluded")
    expect(row_a).to_contain_text("1 errored")
    browser_page.shot("runs")

    page.click('button[data-sort="model"]')
    expect(page).to_have_url(re.compile(r"sort=model&order=asc"))
    models = page.locator("#runs-table a.run-link")
    expect(models.first).to_have_text("model-a")
    names = models.all_inner_texts()
    assert names == sorted(names)
    page.click('button[data-sort="model"]')
    expect(models.first).to_have_text("org/mock-model")

    page.fill("#runs-filter", "model-b")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-id", RUN_B)
    assert "q=model-b" in page.url
    page.fill("#runs-filter", "no such run")
    expect(rows.first).to_contain_text('No run matches "no such run"')


def test_runs_page_refreshes_itself_while_a_run_is_running(
    browser_page: BrowserPage, browser_serve: Callable[[Path], Any], browser_outputs: Path, tmp_path: Path
) -> None:
    outputs = tmp_path / "outputs"
    run = outputs / "20260105_120000"
    for part in ("configs", "predictions", "reviews"):  # journals just written, no report yet: running
        shutil.copytree(browser_outputs / RUN_A / part, run / part, copy_function=shutil.copy)
    with browser_serve(outputs) as url:
        page = browser_page.open("/runs", base=url)
        status = page.locator('tr[data-id="20260105_120000"] td.status')
        expect(status).to_have_text("running")
        expect(page.locator("#runs-count")).to_contain_text("refreshing")
        shutil.copytree(browser_outputs / RUN_A / "reports", run / "reports", copy_function=shutil.copy)
        expect(status).to_have_text("complete", timeout=10_000)  # no reload: the page polled
        expect(page.locator("#runs-count")).not_to_contain_text("refreshing")


def test_report_shows_scores_counts_and_a_chart_per_benchmark(browser_page: BrowserPage, browser_outputs: Path) -> None:
    page = browser_page.open(f"/run/{RUN_A}")
    mcq_section = page.locator('section.bench[data-benchmark="general_mcq"]')
    gsm8k = page.locator('section.bench[data-benchmark="gsm8k"]')

    def stat(section: Any, name: str) -> Any:
        return section.locator(f'a.stat[data-stat="{name}"] .stat-value')

    expect(stat(mcq_section, "total")).to_have_text("12")
    expect(stat(mcq_section, "errored")).to_have_text("1")
    expect(stat(mcq_section, "truncated")).to_have_text("1")
    expect(stat(mcq_section, "extraction failures")).to_have_text("1")
    expect(mcq_section.locator('a.stat[data-stat="extraction failures"]')).to_contain_text("9.1% of scored")
    expect(stat(gsm8k, "excluded")).to_have_text("2")
    # 4 right of the 11 scored (example-3 errored): 0.3636, stderr sqrt(p(1-p)/(n-1))
    subset = mcq_section.locator('tr.subset-row[data-subset="example"]')
    expect(subset).to_contain_text("0.3636")
    expect(subset).to_contain_text("0.1521")
    expect(mcq_section).to_contain_text("HTTP 500")
    expect(gsm8k).to_contain_text("gold answer does not parse as mathematics")
    for section in (mcq_section, gsm8k):
        expect(section.locator(".chart svg.main-svg").first).to_be_visible()
    expect(mcq_section.locator(".chart .bars .point")).to_have_count(1)  # one metric: one bar
    expect(mcq_section.locator(".chart .errorbar")).to_have_count(1)  # with its standard error
    browser_page.shot("report")

    mcq_section.locator('a.stat[data-stat="errored"]').click()
    expect(page).to_have_url(re.compile(r"/samples\?benchmark=general_mcq&status=errored"))
    shows_keys(page, mcq(3))

    if (browser_outputs / RUN_CODE).exists():
        page = browser_page.open(f"/run/{RUN_CODE}")
        outcomes = page.locator("table.outcomes")
        for outcome in ("passed", "failed", "error: ZeroDivisionError"):
            expect(outcomes).to_contain_text(outcome)
        browser_page.shot("report-code")


def test_status_filters_and_search_show_exactly_the_matching_samples(browser_page: BrowserPage) -> None:
    page = browser_page.open(MCQ)
    shows_keys(page, mcq(*range(12)))
    expect(page.locator("#samples-summary")).to_have_text("Showing 1–12 of 12 samples")
    browser_page.shot("samples")

    expected = {
        "correct": mcq(0, 2, 5, 8),
        "wrong": mcq(1, 4, 6, 7, 9, 10, 11),
        "errored": mcq(3),
        "truncated": mcq(4),
        "extraction_failed": mcq(4),
        "excluded": [],
    }
    for status, wanted in expected.items():
        page.click(f'button[data-status="{status}"]')
        expect(page).to_have_url(re.compile(f"status={status}"))
        shows_keys(page, wanted)
    expect(page.locator("#samples-summary")).to_contain_text("No samples match")

    page.click('button[data-status="all"]')
    page.fill("#sample-search", "hexagon")  # in the prompt of example-2 only
    expect(page).to_have_url(re.compile("q=hexagon"))
    shows_keys(page, mcq(2))
    page.fill("#sample-search", "WATER")  # case-insensitive: example-4 (boiling) and example-10 (freezing)
    shows_keys(page, mcq(4, 10))
    page.click('button[data-status="truncated"]')  # the search stays, the status narrows it
    shows_keys(page, mcq(4))
    assert "q=WATER" in page.url and "status=truncated" in page.url
    browser_page.shot("samples-filtered")

    page = browser_page.open(f"/run/{RUN_A}/samples?benchmark=gsm8k&status=excluded")
    shows_keys(page, ["main-2#0", "main-3#0"])
    page.select_option("#benchmark", "general_mcq")
    expect(page).to_have_url(re.compile("benchmark=general_mcq"))
    shows_keys(page, [])  # general_mcq has nothing excluded


def test_samples_are_paged_by_the_server_and_a_row_opens_its_sample(browser_page: BrowserPage) -> None:
    page = browser_page.open(f"{MCQ}&limit=5")
    seen: list[str] = []
    for first, last in ((1, 5), (6, 10), (11, 12)):
        expect(page.locator("#samples-summary")).to_have_text(f"Showing {first}–{last} of 12 samples")
        seen += keys(page)
        if last < 12:
            page.click("#next-page")
    expect(page.locator("#next-page")).to_be_disabled()
    assert sorted(seen) == sorted(mcq(*range(12)))
    page.click("#prev-page")
    expect(page.locator("#samples-summary")).to_have_text("Showing 6–10 of 12 samples")

    key = keys(page)[0]
    page.locator(f'#samples-table tr[data-key="{key}"] td.subset').click()  # anywhere on the row
    expect(page).to_have_url(re.compile(rf"#/run/.*/sample/general_mcq/{key.replace('#', '%23')}$"))
    expect(page.locator("h1")).to_have_text(key.split("#")[0])
    expect(page.locator("#verdict h2")).to_be_visible()
    page.go_back()
    expect(page.locator("#samples-summary")).to_have_text("Showing 6–10 of 12 samples")


def test_a_wrong_sample_shows_gold_extracted_answer_and_why(browser_page: BrowserPage) -> None:
    page = browser_page.open(f"/run/{RUN_A}/sample/general_mcq/example-1%230")
    expect(page.locator("#verdict h2")).to_have_text("Wrong")
    expect(page.locator("#extracted pre")).to_have_text("A")
    expect(page.locator("#gold pre")).to_have_text("C")
    expect(page.locator("#verdict-explanation")).to_have_text("The extracted answer A does not match the gold C.")
    expect(page.locator("#prompt")).to_contain_text("What is the chemical symbol for sodium?")
    expect(page.locator("#prompt .msg.role-user")).to_have_count(1)
    expect(page.locator("#reply")).to_contain_text("ANSWER: A")
    browser_page.shot("sample-wrong")

    page = browser_page.open(f"/run/{RUN_A}/sample/general_mcq/example-4%230")
    expect(page.locator("#verdict h2")).to_have_text("Wrong")
    expect(page.locator("#verdict-explanation")).to_have_text("no option letter found in the reply")
    expect(page.locator("#verdict")).to_contain_text("truncated: hit max_tokens")
    expect(page.locator("#extracted")).to_contain_text("(nothing extracted)")
    expect(page.locator("#gold pre")).to_have_text("B")

    page = browser_page.open(f"/run/{RUN_A}/sample/general_mcq/example-3%230")
    expect(page.locator("#verdict h2")).to_have_text("Errored: no answer from the model")
    expect(page.locator("#verdict-reason")).to_contain_text("HTTP 500")

    page = browser_page.open(f"/run/{RUN_A}/sample/gsm8k/main-2%230")
    expect(page.locator("#verdict h2")).to_have_text("Excluded from the score")
    expect(page.locator("#verdict-reason")).to_have_text("gold answer does not parse as mathematics: ')(*'")
    expect(page.locator("#extracted pre")).to_have_text("7")


def test_reply_text_is_shown_as_text_with_the_think_block_folded(browser_page: BrowserPage) -> None:
    page = browser_page.open(f"/run/{RUN_A}/sample/general_mcq/example-5%230")
    expect(page.locator("#verdict h2")).to_have_text("Correct")
    think = page.locator("#reply details.think")
    expect(think).to_have_count(1)
    expect(think).not_to_have_attribute("open", "")
    expect(think.locator("summary")).to_have_text("Thinking (51 characters)")
    expect(think.locator("pre")).to_have_text("The heart pumps blood; the <b>liver</b> filters it.")
    expect(page.locator("#reply pre.answer-text")).to_have_text("ANSWER: D")
    assert page.locator("#view b").count() == 0  # the reply's markup stayed text
    browser_page.shot("sample-think")

    page = browser_page.open(MCQ)
    row = page.locator('#samples-table tr[data-key="example-5#0"] td.reply')
    expect(row).to_have_text("<think>The heart pumps blood; the <b>liver</b> filters it.</think>ANSWER: D")
    assert page.locator("#samples-table b").count() == 0


def test_judged_run_shows_the_judges_cost_and_each_verdict(browser_page: BrowserPage) -> None:
    page = browser_page.open(f"/run/{RUN_JUDGED}")
    judge = page.locator('section.bench[data-benchmark="gsm8k"] .judge')
    expect(judge).to_contain_text("judge-model")
    expect(judge.locator("tr", has_text="Requests").first).to_contain_text("3")
    expect(judge.locator("tr", has_text="Unreadable verdicts")).to_contain_text("1")

    page = browser_page.open(f"/run/{RUN_JUDGED}/sample/gsm8k/main-1%230")
    expect(page.locator("#verdict h2")).to_have_text("Wrong")
    expect(page.locator("#verdict-explanation")).to_have_text(
        "The judge (judge-model) gave the verdict B: not a match for the gold answer."
    )
    expect(page.locator("#gold pre")).to_have_text("36")
    expect(page.locator("#judge table.votes tbody tr")).to_have_count(1)
    expect(page.locator("#judge table.votes")).to_contain_text("judge-model")
    browser_page.shot("sample-judged")

    page = browser_page.open(f"/run/{RUN_JUDGED}/sample/gsm8k/main-2%230")
    expect(page.locator("#verdict h2")).to_have_text("Excluded from the score")
    expect(page.locator("#verdict")).to_contain_text("no verdict found in the judge's reply")
    expect(page.locator("#judge table.votes")).to_contain_text("Hmm, hard to say.")


def test_code_sample_shows_the_execution_verdict(browser_page: BrowserPage, browser_outputs: Path) -> None:
    if not (browser_outputs / RUN_CODE).exists():
        pytest.skip("the HumanEval run needs bubblewrap, root and ../shared/data/humaneval")
    page = browser_page.open(f"/run/{RUN_CODE}/sample/humaneval/HumanEval%2F2%230")
    expect(page.locator("#verdict h2")).to_have_text("Wrong")
    expect(page.locator("#verdict-explanation")).to_have_text("error: ZeroDivisionError")
    execution = page.locator("#execution")
    expect(execution).to_contain_text("ZeroDivisionError")
    expect(execution.locator("pre.stderr")).to_contain_text("ZeroDivisionError: division by zero")
    expect(page.locator("#extracted pre")).to_contain_text("return 1 / 0")
    browser_page.shot("sample-code")

    page = browser_page.open(f"/run/{RUN_CODE}/samples?benchmark=humaneval&status=wrong")
    shows_keys(page, ["HumanEval/1#0", "HumanEval/2#0"])


def test_compare_two_runs_lists_their_disagreements(browser_page: BrowserPage) -> None:
    page = browser_page.open("/runs")
    page.check(f'tr[data-id="{RUN_B}"] input[type="checkbox"]')
    expect(page.locator("#compare-selected")).to_be_disabled()
    page.check(f'tr[data-id="{RUN_A}"] input[type="checkbox"]')
    page.click("#compare-selected")
    expect(page).to_have_url(re.compile(rf"#/compare\?runs={RUN_A}%2C{RUN_B}&benchmark=general_mcq"))

    a_right = page.locator("#a-right-b-wrong tr.disagreement")
    b_right = page.locator("#b-right-a-wrong tr.disagreement")
    expect(a_right).to_have_count(1)
    expect(b_right).to_have_count(2)
    assert a_right.evaluate_all("rows => rows.map(r => r.dataset.key)") == ["example-2#0"]
    assert sorted(b_right.evaluate_all("rows => rows.map(r => r.dataset.key)")) == ["example-1#0", "example-6#0"]
    pair = page.locator("#compare-pairs tbody tr")
    expect(pair).to_have_count(1)
    cells = pair.locator("td").all_inner_texts()
    assert cells[2:6] == ["1", "2", "3", "5"]  # only A, only B, both right, both wrong (11 paired)
    expect(page.locator("#compare-scores")).to_contain_text("0.4545")
    browser_page.shot("compare")

    b_right.filter(has_text="example-6#0").get_by_role("link", name="in B: model-b").click()
    expect(page).to_have_url(re.compile(rf"#/run/{RUN_B}/sample/general_mcq/example-6%230$"))
    expect(page.locator("#verdict h2")).to_have_text("Correct")
    expect(page.locator("#extracted pre")).to_have_text("C")


def test_compare_three_runs_shows_every_pair_and_each_runs_verdict(browser_page: BrowserPage) -> None:
    page = browser_page.open(f"/compare?runs={RUN_A},{RUN_B},{RUN_C}&benchmark=general_mcq")
    expect(page.locator("#compare-pairs tbody tr")).to_have_count(3)  # A-B, A-C, B-C
    rows = page.locator("#compare-disagreements tr.disagreement")
    # Right in model-a: 0 2 5 8; model-b: 0 1 5 6 8; model-c (by likelihood): 2 8 11; 3 errored in a and b.
    expect(rows).to_have_count(6)
    assert sorted(rows.evaluate_all("rows => rows.map(r => r.dataset.key)")) == mcq(0, 1, 11, 2, 5, 6)
    verdicts = page.locator('#compare-disagreements tr[data-key="example-11#0"] td').all_inner_texts()
    assert verdicts[2:] == ["wrong", "wrong", "right"]
    pair_ac = page.locator("#compare-pairs tbody tr").filter(has_text="C: model-c").first
    assert pair_ac.locator("td").all_inner_texts()[:6] == ["A: model-a", "C: model-c", "2", "1", "2", "6"]
    browser_page.shot("compare-three")


def test_a_likelihood_sample_shows_each_options_scores_and_which_ranking_chose(browser_page: BrowserPage) -> None:
    page = browser_page.open(f"/run/{RUN_C}/sample/general_mcq/example-11%230")
    expect(page.locator("#verdict h2")).to_have_text("Correct")
    rows = page.locator("#option-scores tbody tr")
    expect(rows).to_have_count(4)
    assert rows.locator("th").all_inner_texts() == ["A", "Bgoldchosen", "C", "D"]
    # B: -2.5 over 2 tokens; C: -1.5 over 1. B wins per token, C in total.
    expect(rows.nth(1).locator("td")).to_have_text(["-2.5000", "2", "-1.2500"])
    expect(rows.nth(1).locator("td.best")).to_have_text("-1.2500")
    expect(rows.nth(2).locator("td.best")).to_have_text("-1.5000")
    expect(page.locator("#option-choice")).to_have_text(
        "Chosen: B, the likeliest per token (length-normalised); by total log-likelihood it is not."
    )
    expect(page.locator("#reply")).to_contain_text("no reply: a log-likelihood request scores the options")
    browser_page.shot("sample-likelihoods")


def test_a_prompt_image_is_shown_from_the_copy_the_run_kept(browser_page: BrowserPage) -> None:
    page = browser_page.open(f"/run/{RUN_VISION}/sample/toy_vmcq/blue-3%230")
    expect(page.locator("#verdict h2")).to_have_text("Wrong")
    expect(page.locator("#extracted pre")).to_have_text("B")
    expect(page.locator("#gold pre")).to_have_text("C")
    image = page.locator("#prompt img.prompt-image")
    expect(image).to_have_count(1)
    expect(image).to_be_visible()
    page.wait_for_function("() => document.querySelector('#prompt img.prompt-image').complete")
    # The 1200-pixel picture sent, kept as a 768-pixel thumbnail, decoded by the browser.
    assert image.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [768, 768]
    expect(page.locator("#prompt figcaption")).to_contain_text("blue-3.jpg")
    expect(page.locator("#reply")).to_contain_text("ANSWER: B")
    browser_page.shot("sample-image")


def test_compare_page_picks_runs_and_benchmark_from_a_form(browser_page: BrowserPage) -> None:
    page = browser_page.open("/compare")
    expect(page.locator("#compare-results")).to_contain_text("tick two or more runs")
    page.select_option("#compare-benchmark", "general_mcq")
    page.check(f'#compare-runs input[value="{RUN_A}"]')
    page.check(f'#compare-runs input[value="{RUN_B}"]')
    page.click("#compare-go")
    expect(page.locator("#compare-pairs tbody tr")).to_have_count(1)
    expect(page.locator("tr.disagreement")).to_have_count(3)


def test_perf_sweep_draws_charts_tables_and_an_overlay(browser_page: BrowserPage, browser_outputs: Path) -> None:
    page = browser_page.open(f"/perf/{PERF_FAST.replace('/', '%2F')}")
    charts = page.locator("#perf-charts .chart")
    expect(charts).to_have_count(5)
    for index in range(5):
        expect(charts.nth(index).locator("svg.main-svg").first).to_be_visible()
    expect(charts.nth(0).locator(".scatterlayer .trace")).to_have_count(1)
    summary = page.locator(f'section.perf-runs[data-perf="{PERF_FAST}"] table.perf-summary')
    expect(summary.locator("tbody tr")).to_have_count(3)
    assert summary.locator("tbody tr td:nth-child(2)").all_inner_texts() == ["1", "2", "4"]
    expect(summary.locator("thead")).to_contain_text("Req Throughput (req/s)")
    expect(summary.locator("thead")).to_contain_text("Avg TTFT (ms)")
    expect(page.locator("#perf-warnings")).to_contain_text("kept up in every run")
    saved = json.loads((browser_outputs / PERF_FAST / "parallel_4_number_16" / "benchmark_summary.json").read_text())
    expect(summary.locator("tbody tr").last).to_contain_text(f"{saved['Req Throughput (req/s)']:.4f}")
    browser_page.shot("perf")

    page.select_option("#perf-overlay", PERF_SLOW)
    expect(page).to_have_url(re.compile(r"with=perf%2Fslow"))
    expect(page.locator("#perf-charts .chart").nth(0).locator(".scatterlayer .trace")).to_have_count(2)
    expect(page.locator("#perf-charts .chart").nth(2).locator(".scatterlayer .trace")).to_have_count(6)
    expect(page.locator(f'section.perf-runs[data-perf="{PERF_SLOW}"] table.perf-summary tbody tr')).to_have_count(3)
    expect(page.locator("#perf-warnings")).to_contain_text("client-bound")  # perf/slow's doctored last run
    browser_page.shot("perf-overlay")


def _make_sweep(root: Path) -> None:
    """model-a and model-b (general_mcq) as one sweep under ``root/sweep``, each against its own server."""
    from assay import TaskConfig, run_task
    from assay.mock_server import ServerConfig, run_server_in_thread
    from tests.app.conftest import MCQ_RULES_A, MCQ_RULES_B, _mcq_args

    with (
        run_server_in_thread(ServerConfig(rules=MCQ_RULES_A)) as a,
        run_server_in_thread(ServerConfig(rules=MCQ_RULES_B)) as b,
    ):
        config = TaskConfig(
            models=[{"model": "model-a", "api_url": a.url}, {"model": "model-b", "api_url": b.url}],
            datasets=["general_mcq"],
            dataset_args={"general_mcq": _mcq_args()},
            work_dir=str(root / "sweep"),
            no_timestamp=True,
            generation_config={"max_tokens": 24, "retries": 0},
        )
        run_task(config, show_progress=False)


def test_a_sweep_is_one_page_with_its_models_by_benchmarks_grid(
    browser_page: BrowserPage, browser_serve: Callable[[Path], Any], tmp_path: Path
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    outputs = tmp_path / "outputs"
    with ThreadPoolExecutor(max_workers=1) as pool:  # a thread of its own: Playwright holds this one's loop
        pool.submit(_make_sweep, outputs).result()
    with browser_serve(outputs) as url:
        page = browser_page.open("/runs", base=url)
        row = page.locator('tr[data-id="sweep"]')
        expect(page.locator("#runs-table tbody tr")).to_have_count(1)  # the members are not listed apart
        expect(row).to_contain_text("eval-sweep")
        row.locator("a.run-link").click()
        expect(page).to_have_url(re.compile(r"#/sweep/sweep$"))
        grid = page.locator("#sweep-grid")
        expect(grid.locator("tr.sweep-member")).to_have_count(2)
        # model-a: 4 right of 11 scored; model-b: 5 of 11 (see conftest's MCQ rules)
        expect(grid.locator('tr[data-model="model-a"] td[data-benchmark="general_mcq"]')).to_contain_text("0.3636")
        expect(grid.locator('tr[data-model="model-b"] td[data-benchmark="general_mcq"]')).to_contain_text("0.4545")
        browser_page.shot("sweep")
        grid.locator('th[data-benchmark="general_mcq"] a.compare-link').click()
        expect(page.locator("#compare-pairs tbody tr")).to_have_count(1)  # the two members, paired
        page.go_back()
        grid.locator('tr[data-model="model-b"] a.samples-link').click()
        expect(page).to_have_url(re.compile(r"#/run/sweep%2Fmodel-b/samples\?benchmark=general_mcq"))
        expect(page.locator("#samples-table tbody tr")).to_have_count(12)
