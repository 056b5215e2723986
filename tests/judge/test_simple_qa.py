"""simple_qa and chinese_simpleqa end to end: a test server plays the model, another the grader.

The data are small local files in the upstream layouts (simple-evals' ``simple_qa_test_set.csv``,
OpenStellarTeam's ``chinese_simpleqa.jsonl``). Their records are TEST FIXTURES written for these
tests, not records of either dataset. The judge server grades each sample by a rule that matches the
question, gold answer and reply quoted in the grading prompt, so every grade, unparseable reply and
failed request is scripted, and every metric can be computed by hand.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from assay import TaskConfig, run_task
from assay.benchmarks import build_adapter
from assay.benchmarks._base import bundled_text
from assay.benchmarks._simple_qa import parse_grade_letter
from assay.cli.main import main
from assay.errors import UserError
from assay.mock_server import Rule, ServerConfig, ServerHandle, run_server_in_thread
from assay.mock_server._stats import prompt_key
from assay.report.model import Report

#: A judge reply no rule chose: unparseable, so a rule that fails to match shows up as an exclusion.
UNMATCHED = "no rule matched this grading prompt"

# ---------------------------------------------------------------------------------------------- fixtures
#: TEST FIXTURES in simple-evals' CSV schema: (topic, answer_type, problem, answer, model reply, judge).
#: ``judge`` is the grader's reply, or ``"500"`` for a request that fails.
SIMPLE_QA_ROWS: list[tuple[str, str, str, str, str, str]] = [
    ("Geography", "Other", "Which river flows through the city of Ljubljana?", "Ljubljanica", "The Ljubljanica.",
     "I cannot grade this."),
    ("History", "Date", "In which year was the first Nobel Prize awarded?", "1901", "1901", "CORRECT"),
    ("Art", "Person", "Who designed the Sydney Opera House?", "Jørn Utzon", "Jørn Utzon", "500"),
    ("Geography", "Place", "What is the capital of the Canadian province of Saskatchewan?", "Regina", "Regina",
     "500"),
    ("Music", "Person", "Who composed the opera 'The Bartered Bride'?", "Bedřich Smetana", "Bedřich Smetana", "A"),
    ("Science and technology", "Other", "Which element has the chemical symbol 'W'?", "Tungsten", "Tungsten", "A"),
    ("History", "Date", "In what year was the Eiffel Tower completed?", "1889", "1889", "**A**"),
    ("Art", "Person", "Who wrote the novel 'The Master and Margarita'?", "Mikhail Bulgakov", "Mikhail Bulgakov",
     "A: CORRECT"),
    ("Geography", "Place", "What is the highest mountain in Africa?", "Mount Kilimanjaro", "Kilimanjaro", "A"),
    ("Science and technology", "Place", "Which planet has the moon Titania?", "Uranus", "Uranus", "The grade is A."),
    ("History", "Other", "What was the name of the ship on which Charles Darwin sailed around the world?",
     "HMS Beagle", "The Beagle", "A"),
    ("Art", "Person", "Who painted 'The Garden of Earthly Delights'?", "Hieronymus Bosch", "Hieronymus Bosch",
     "<think>It names Bosch; B would be wrong.</think>A"),
    ("Geography", "Place", "What is the capital of Australia?", "Canberra", "Sydney", "B"),
    ("Art", "Person", "Who was the first woman to win the Nobel Prize in Literature?", "Selma Lagerlöf",
     "Pearl S. Buck", "B: INCORRECT"),
    ("History", "Date", "In which year did the Berlin Wall fall?", "1989", "1991", "B"),
    ("Sports", "Place", "Which country hosted the 1934 FIFA World Cup?", "Italy", "Uruguay", "B"),
    ("Science and technology", "Number", "What is the atomic number of oxygen?", "8", "16", "**B**"),
    ("History", "Person", "Who was the first person to reach the South Pole?", "Roald Amundsen", "I don't know.",
     "C"),
    ("Sports", "Other", "What was the name of the first horse to win the Kentucky Derby?", "Aristides",
     "I'm not sure.", "C"),
    ("Geography", "Number", "How many islands make up the Faroe Islands?", "18",
     "I cannot answer that without checking.", "C: NOT_ATTEMPTED"),
]  # fmt: skip

#: TEST FIXTURES in Chinese SimpleQA's JSONL schema: (primary_category, question, answer, model reply, judge).
CHINESE_ROWS: list[tuple[str, str, str, str, str]] = [
    ("中华文化", "中国第一部纪传体通史是哪部著作？", "《史记》", "《史记》", "A"),
    ("中华文化", "京剧四大名旦中，以《贵妃醉酒》闻名的是哪一位？", "梅兰芳", "梅兰芳", "A:【正确】"),
    ("中华文化", "《本草纲目》的作者是谁？", "李时珍", "孙思邈", "B"),
    ("人文与社会科学", "《国富论》的作者是哪位经济学家？", "亚当·斯密", "亚当·斯密", "答案是A"),
    ("人文与社会科学", "《社会契约论》是哪位思想家的著作？", "卢梭", "我不确定。", "C"),
    ("人文与社会科学", "“罗生门”一词出自哪位日本作家的小说？", "芥川龙之介", "我不知道。", "C"),
    ("工程、技术与应用科学", "世界上第一台通用电子计算机叫什么名字？", "ENIAC", "UNIVAC", "B"),
    ("工程、技术与应用科学", "港珠澳大桥于哪一年正式开通运营？", "2018年", "2016年", "B:【错误】"),
    ("工程、技术与应用科学", "TCP/IP协议中负责路由选择的是哪一层？", "网络层", "需要查资料才能确定。", "C"),
    ("生活、艺术与文化", "油画《蒙娜丽莎》的作者是谁？", "列奥纳多·达·芬奇", "达·芬奇", "A"),
    ("生活、艺术与文化", "交响曲《命运》是哪位作曲家的作品？", "贝多芬", "贝多芬", "A"),
    ("生活、艺术与文化", "川菜“麻婆豆腐”起源于哪个城市？", "成都", "成都", "**A**"),
    ("社会", "联合国总部位于哪个城市？", "纽约", "纽约", "A"),
    ("社会", "国际奥委会总部设在哪个国家？", "瑞士", "法国", "B"),
    ("社会", "世界卫生组织成立于哪一年？", "1948年", "1948年", "无法判断"),
    ("自然与自然科学", "元素周期表中原子序数为26的元素是什么？", "铁", "我不知道。", "C"),
    ("自然与自然科学", "太阳系中体积最大的行星是哪一颗？", "木星", "不清楚。", "C:【未尝试】"),
    ("自然与自然科学", "DNA双螺旋结构是在哪一年被提出的？", "1953年", "这个我无法回答。", "C"),
]

#: The grader prompts as released upstream (sha256 of the bundled files; see data/README.md).
GRADER_SHA256 = {
    "simple_qa_grader_template.txt": "063c04ea798f91c4706c050b66a721afc77a458b12d8f0d72286d4b0eee8a3ee",
    "chinese_simpleqa_grader_template.txt": "6dc78ec4d7020c5c5fdddedbb3dbf6e0aa20c7e680eb9f8f117594744c33b311",
}


def write_simple_qa(folder: Path, rows: list[tuple[str, str, str, str, str, str]]) -> Path:
    """simple-evals' layout: ``simple_qa_test_set.csv`` with metadata (a Python literal), problem, answer."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "simple_qa_test_set.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["metadata", "problem", "answer"])
        for i, (topic, answer_type, problem, answer, _, _) in enumerate(rows):
            urls = [f"https://example.org/fixture/{i}"]
            metadata = repr({"topic": topic, "answer_type": answer_type, "urls": urls})
            writer.writerow([metadata, problem, answer])
    return folder


def write_chinese(folder: Path, rows: list[tuple[str, str, str, str, str]]) -> Path:
    """The Hugging Face layout: ``chinese_simpleqa.jsonl`` with the released columns."""
    folder.mkdir(parents=True, exist_ok=True)
    records = [
        {
            "id": f"fixture{i:02d}",
            "primary_category": category,
            "secondary_category": "测试",
            "question": question,
            "answer": answer,
            "urls": [f"https://example.org/fixture/{i}"],
        }
        for i, (category, question, answer, _, _) in enumerate(rows)
    ]
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    (folder / "chinese_simpleqa.jsonl").write_text(text, encoding="utf-8")
    return folder


def judge_rule(judge_reply: str, prompt_tail: str, **kwargs: Any) -> Rule:
    if judge_reply == "500":
        return Rule(contains=prompt_tail, reply="A", fault="500", **kwargs)
    return Rule(contains=prompt_tail, reply=judge_reply, **kwargs)


def simple_qa_judge_rules(rows: list[tuple[str, str, str, str, str, str]]) -> list[Rule]:
    """One rule per sample, matching the new example at the end of simple-evals' grading prompt."""
    return [
        judge_rule(judge, f"Question: {problem}\nGold target: {answer}\nPredicted answer: {reply}\n```")
        for _, _, problem, answer, reply, judge in rows
    ]


def chinese_judge_rules(rows: list[tuple[str, str, str, str, str]]) -> list[Rule]:
    """One rule per sample; each requires the official judge system message too."""
    system = "你是一个智能助手，请根据给定问题、标准答案和模型预测的答案来评估模型的回答是否正确。"
    return [
        judge_rule(judge, f"问题: {question}\n正确答案: {answer}\n预测答案: {reply}\n```", system_contains=system)
        for _, question, answer, reply, judge in rows
    ]


def task(name: str, data: Path, model: ServerHandle, judge: ServerHandle, work_dir: Path, **extra: Any) -> TaskConfig:
    return TaskConfig(
        model="mock-model",
        api_url=model.url,
        datasets=[name],
        dataset_args={name: {"local_path": str(data)}},
        judge={
            "models": [
                {"model_id": "judge-model", "api_url": judge.url, "generation_config": {"retries": 0, "timeout": 10}}
            ]
        },
        work_dir=str(work_dir),
        no_timestamp=True,
        eval_batch_size=8,
        **extra,
    )


def metrics(report: Report) -> dict[str, float]:
    return {metric.name: metric.score for metric in report.metrics}


def upstream_rates(grades: str) -> dict[str, float]:
    """simple-evals' aggregate, by hand: grades is a string of letters of the scored samples."""
    n = len(grades)
    correct, incorrect, not_attempted = (grades.count(g) / n for g in "ABC")
    given = correct / (correct + incorrect) if correct + incorrect > 0 else 0.0
    f1 = 2 * given * correct / (given + correct) if given + correct > 0 else 0.0
    return {"correct": correct, "not_attempted": not_attempted, "correct_given_attempted": given, "f_score": f1}


def reviews(work_dir: Path, name: str, subset: str) -> list[dict[str, Any]]:
    path = work_dir / "reviews" / "mock-model" / f"{name}_{subset}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# ---------------------------------------------------------------------------------------------- grader
def test_bundled_grader_prompts_are_the_upstream_files_byte_for_byte() -> None:
    for file_name, digest in GRADER_SHA256.items():
        assert hashlib.sha256(bundled_text(file_name).encode("utf-8")).hexdigest() == digest
    english = bundled_text("simple_qa_grader_template.txt")
    assert english.startswith("Your job is to look at a question, a gold target, and a predicted answer")
    assert english.endswith('Just return the letters "A", "B", or "C", with no text around it.')
    assert bundled_text("chinese_simpleqa_grader_template.txt").endswith('只返回字母"A"、"B"或"C"，无须添加其他文本。')


@pytest.mark.parametrize(
    ("reply", "letter"),
    [
        ("A", "A"),
        ("  **B**\n", "B"),
        ("C: NOT_ATTEMPTED", "C"),
        ("The grade is A.", "A"),
        ("Answer: B", "B"),  # simple-evals' (A|B|C) reads the A of "Answer"
        ("答案是C", "C"),
        ("A:【正确】", "A"),
        ("<think>B looks wrong</think>A", "A"),
        ("CORRECT", None),  # simple-evals reads C (NOT_ATTEMPTED) out of the word
        ("NOT_ATTEMPTED", None),  # ... and A (CORRECT) out of this one
        ("I cannot grade this.", None),  # simple-evals defaults to C
        ("<think>probably A", None),  # the judge stopped while thinking
        ("", None),
    ],
)
def test_grade_is_the_first_standalone_letter_and_never_guessed(reply: str, letter: str | None) -> None:
    assert parse_grade_letter(reply) == letter


# ---------------------------------------------------------------------------------------------- end to end
def test_simple_qa_grades_exclusions_and_metrics_equal_hand_computation(tmp_path: Path) -> None:
    data = write_simple_qa(tmp_path / "simple_qa", SIMPLE_QA_ROWS)
    model_rules = [Rule(contains=problem, reply=reply) for _, _, problem, _, reply, _ in SIMPLE_QA_ROWS]
    judge_config = ServerConfig(rules=simple_qa_judge_rules(SIMPLE_QA_ROWS), default_reply=UNMATCHED)
    with (
        run_server_in_thread(ServerConfig(rules=model_rules, default_reply="no rule")) as model,
        run_server_in_thread(judge_config) as judge,
    ):
        report = run_task(task("simple_qa", data, model, judge, tmp_path / "out"), show_progress=False)["simple_qa"]
        judge_stats, model_stats = judge.stats(), model.stats()

    # 2 of 20 unparseable (10%), 2 of 20 failing with a 500 and no retry (10%): excluded, never graded.
    assert report.counts.excluded_reasons == {"judge_parse_error": 2, "judge_transport_error": 2}
    assert (report.counts.scored, report.counts.excluded, report.counts.errored) == (16, 4, 0)
    assert report.judge is not None and (report.judge.parse_errors, report.judge.transport_errors) == (2, 2)
    assert judge_stats["requests_total"] == 20
    expected = upstream_rates("A" * 8 + "B" * 5 + "C" * 3)  # rows 4-11 A, 12-16 B, 17-19 C
    got = metrics(report)
    for name, value in expected.items():
        assert got[name] == pytest.approx(value), name
    assert (got["mean_is_correct"], got["mean_is_incorrect"], got["mean_is_not_attempted"]) == pytest.approx(
        (8 / 16, 5 / 16, 3 / 16)
    )
    assert report.score == pytest.approx(0.5) and report.metrics[0].name == "correct"
    by_name = {metric.name: metric for metric in report.metrics}
    assert by_name["correct_given_attempted"].num == 13 and by_name["f_score"].num == 16

    # What was sent: EvalScope's model prompt; simple-evals' grading prompt, filled as upstream fills it.
    template = bundled_text("simple_qa_grader_template.txt")
    for _, _, problem, answer, reply, _ in SIMPLE_QA_ROWS:
        assert model_stats["prompt_counts"][prompt_key(f"Answer the question:\n\n{problem}")] == 1
        grading = template.format(question=problem, target=answer, predicted_answer=reply)
        assert judge_stats["prompt_counts"][prompt_key(grading)] == 1

    rows = {row["sample_id"]: row["score"] for row in reviews(tmp_path / "out", "simple_qa", "default")}
    assert rows["default-0"]["status"] == "excluded" and not rows["default-0"].get("value")
    assert rows["default-1"]["details"]["judge"]["votes"][0]["reply"] == "CORRECT"  # kept for the reader
    assert rows["default-2"]["reason"] == "judge_transport_error"
    assert rows["default-11"]["details"]["grade"] == "CORRECT"
    assert rows["default-19"]["value"] == {"is_correct": 0.0, "is_incorrect": 0.0, "is_not_attempted": 1.0}


def test_chinese_simpleqa_reports_every_metric_per_topic(tmp_path: Path) -> None:
    data = write_chinese(tmp_path / "chinese_simpleqa", CHINESE_ROWS)
    model_rules = [Rule(contains=question, reply=reply) for _, question, _, reply, _ in CHINESE_ROWS]
    judge_config = ServerConfig(rules=chinese_judge_rules(CHINESE_ROWS), default_reply=UNMATCHED)
    with (
        run_server_in_thread(ServerConfig(rules=model_rules, default_reply="no rule")) as model,
        run_server_in_thread(judge_config) as judge,
    ):
        report = run_task(task("chinese_simpleqa", data, model, judge, tmp_path / "out"), show_progress=False)[
            "chinese_simpleqa"
        ]
        model_stats = model.stats()

    assert report.counts.excluded_reasons == {"judge_parse_error": 1}  # 社会's 无法判断
    assert report.counts.scored == 17
    grades: dict[str, str] = {}
    for category, _, _, _, judge_reply in CHINESE_ROWS:
        letter = parse_grade_letter(judge_reply)
        grades[category] = grades.get(category, "") + (letter or "")
    assert grades == {
        "中华文化": "AAB",
        "人文与社会科学": "ACC",
        "工程、技术与应用科学": "BBC",
        "生活、艺术与文化": "AAA",
        "社会": "AB",
        "自然与自然科学": "CCC",
    }
    overall = upstream_rates("".join(grades.values()))
    for metric in report.metrics[:4]:
        assert metric.score == pytest.approx(overall[metric.name]), metric.name
        topics = {subset.name: subset for subset in metric.categories[0].subsets}
        assert list(topics) == list(grades)
        for topic, letters in grades.items():
            assert topics[topic].score == pytest.approx(upstream_rates(letters)[metric.name]), (metric.name, topic)
    by_name = {metric.name: metric for metric in report.metrics}
    nothing_attempted = {s.name: s for s in by_name["correct_given_attempted"].categories[0].subsets}["自然与自然科学"]
    assert (nothing_attempted.score, nothing_attempted.num) == (0.0, 0)
    assert report.score == pytest.approx(7 / 17)
    assert model_stats["prompt_counts"][prompt_key("请回答问题：\n\n《本草纲目》的作者是谁？")] == 1


def test_rerun_review_from_the_cache_sends_no_judge_request(tmp_path: Path) -> None:
    rows = [row for row in SIMPLE_QA_ROWS if row[5] != "500"]  # a failed request is not cached, by design
    data = write_simple_qa(tmp_path / "simple_qa", rows)
    model_rules = [Rule(contains=problem, reply=reply) for _, _, problem, _, reply, _ in rows]
    with (
        run_server_in_thread(ServerConfig(rules=model_rules)) as model,
        run_server_in_thread(ServerConfig(rules=simple_qa_judge_rules(rows), default_reply=UNMATCHED)) as judge,
    ):
        first = run_task(task("simple_qa", data, model, judge, tmp_path), show_progress=False)["simple_qa"]
        assert judge.stats()["requests_total"] == len(rows)
        again_config = task("simple_qa", data, model, judge, tmp_path, use_cache=str(tmp_path), rerun_review=True)
        again = run_task(again_config, show_progress=False)["simple_qa"]
        assert judge.stats()["requests_total"] == len(rows)  # every grade, unparseable ones too, from the cache
        assert model.stats()["requests_total"] == len(rows)  # and every reply from the prediction journal
    assert metrics(again) == metrics(first)
    assert again.counts.excluded_reasons == first.counts.excluded_reasons == {"judge_parse_error": 2}
    assert again.judge is not None and (again.judge.requests, again.judge.cached) == (0, len(rows))


# ---------------------------------------------------------------------------------------------- data errors
@pytest.mark.parametrize(("name", "expected_file"), [("simple_qa", "simple_qa_test_set.csv"),
                                                     ("chinese_simpleqa", "chinese_simpleqa.jsonl")])  # fmt: skip
def test_missing_local_file_is_one_line_naming_the_expected_file(
    name: str, expected_file: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(UserError) as raised:
        build_adapter(name, {"local_path": str(tmp_path)}).load()
    message = str(raised.value)
    assert "\n" not in message and expected_file in message and str(tmp_path) in message
    assert main(["benchmark-info", name, "--local-path", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected_file in err and "Traceback" not in err


def test_local_files_load_in_the_upstream_layouts(tmp_path: Path) -> None:
    english = build_adapter("simple_qa", {"local_path": str(write_simple_qa(tmp_path / "en", SIMPLE_QA_ROWS))})
    samples = english.load()["default"]
    assert len(samples) == 20 and samples[4].target == "Bedřich Smetana"
    assert samples[4].metadata == {
        "question": "Who composed the opera 'The Bartered Bride'?",
        "topic": "Music",
        "answer_type": "Person",
    }
    # The GitHub repository keeps the file under data/.
    write_chinese(tmp_path / "zh" / "data", CHINESE_ROWS)
    topics = build_adapter("chinese_simpleqa", {"local_path": str(tmp_path / "zh")}).load()
    assert {topic: len(samples) for topic, samples in topics.items()} == dict.fromkeys(
        ["中华文化", "人文与社会科学", "工程、技术与应用科学", "生活、艺术与文化", "社会", "自然与自然科学"], 3
    )
    assert topics["社会"][0].id == "fixture12"
