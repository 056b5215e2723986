"""docs/extending.md is true: its example files, written out as they stand, run and print what it shows.

Each example adds one file (a benchmark, a scorer used by two benchmarks, a model backend) and
touches no other source file; each runs in a fresh interpreter, so nothing registered here leaks.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "extending.md"
_FILE_BLOCK = re.compile(r"```python file=(\S+)\n(.*?)```", re.S)
_OUTPUT_AFTER = re.compile(r"\s*Output:\s*```\n(.*?)```", re.S)


def _examples() -> list[tuple[str, str]]:
    """(runnable file, the output the doc shows right after it), in the doc's order."""
    text = DOC.read_text(encoding="utf-8")
    found = []
    for block in _FILE_BLOCK.finditer(text):
        output = _OUTPUT_AFTER.match(text, block.end())
        if output is not None:
            found.append((block.group(1), output.group(1)))
    return found


def test_the_doc_has_the_three_runnable_examples() -> None:
    assert [name for name, _ in _examples()] == ["sums.py", "two_benchmarks.py", "echo_backend.py"]


@pytest.mark.parametrize(("script", "expected"), _examples(), ids=[name for name, _ in _examples()])
def test_example_runs_and_prints_what_the_doc_shows(tmp_path: Path, script: str, expected: str) -> None:
    for name, body in _FILE_BLOCK.findall(DOC.read_text(encoding="utf-8")):
        (tmp_path / name).write_text(body, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, script], cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == expected
