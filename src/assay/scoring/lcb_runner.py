"""LiveCodeBench's test runner, run inside the sandbox as ``main.py``: the scorer reads this file as text.

:mod:`assay.scoring.scorers.lcb` reads this file as text and runs it with ``python3 -I -S -B`` next to
``solution.py`` (the reply's code) and ``tests.json`` (EvalScope's ``evaluation_sample``: ``inputs``,
``outputs``, ``fn_name``); stdin carries ``{"timeout_s", "marker"}``. Standard library only. It
reproduces ``lcb_runner/evaluation/testing_util.py`` as EvalScope 1.14.1 vendors it
(``benchmarks/live_code_bench/testing_util.py``); docs/code.md describes the rules. In short:

* **Call-based** (``fn_name`` set): import prelude + code; ``Solution()`` when the text contains
  ``class Solution``; one ``json.loads``-ed argument per input line; a tuple answer counts as a list;
  the answer must ``==`` ``json.loads(output)``.
* **Standard input**: a trailing ``if __name__ == '__main__':`` is unwrapped, every top-level
  statement but imports moves into ``wrapped_function()``, called per test with a fresh stdin and a
  captured stdout; lines are compared stripped, then as ``Decimal`` numbers.
* The first failing test ends the run; every test, and the module's own code, has an alarm.

Kept because they decide verdicts: lcb_runner's ``mock.patch`` decorators are entered bottom-up, so
``read``/``readline``/``readlines`` are patched on the *previous* stdin (``/dev/null`` in EvalScope's
spawned worker), which only a ``stdin`` bound at import time sees; the prelude binds the real
``open``, so ``open(0)`` reads the real, empty, stdin; ``SystemExit`` in stdin code is swallowed.

The verdict is one line ``<marker><json>`` written last on a duplicate of the original stdout, while
file descriptor 1 points at ``/dev/null``: the solution's own output never reaches the scorer, and the
marker (from stdin, read to its end first, so no file holds it) cannot be guessed. ``os._exit(0)``
follows, so threads or ``atexit`` handlers the solution left cannot add output or hold the process.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import json
import os
import signal
import sys
import types
from collections.abc import Callable
from decimal import Decimal
from typing import Any, cast

_PRELUDE_MODULES = (
    "string", "re", "datetime", "collections", "heapq", "bisect", "copy", "math", "random",
    "statistics", "itertools", "functools", "operator", "io", "sys", "json",
)  # fmt: skip
#: lcb_runner's ``import_string``: star imports (then builtins and typing), the modules, a deep stack.
IMPORT_PRELUDE = (
    "".join(f"from {name} import *\n" for name in (*_PRELUDE_MODULES, "builtins", "typing"))
    + "".join(f"import {name}\n" for name in _PRELUDE_MODULES)
    + "sys.setrecursionlimit(50000)\n"
)
#: lcb_runner's ``truncatefn`` length: failing values are cut in the middle to this many characters.
TRUNCATE_CHARS = 300
#: The verdict line stays within the sandbox's 2,000-character stdout tail.
MAX_VERDICT_CHARS = 1800
#: Verdict fields that are free text (shortened further when the line would be too long).
_FREE_TEXT = frozenset({"message", "got", "expected"})


class TimeoutException(Exception):
    """Raised by the SIGALRM handler when a test (or the solution's module code) runs out of time.

    The name matters: lcb_runner recognises a timeout by ``timeoutexception`` in the ``repr()``.
    """


def _on_alarm(signum: int, frame: Any) -> None:
    raise TimeoutException


def set_alarm(seconds: float) -> None:
    """Arm (or with 0, disarm) the per-test alarm; ``setitimer`` keeps fractions of a second."""
    signal.setitimer(signal.ITIMER_REAL, seconds)


def truncate(value: Any, length: int = TRUNCATE_CHARS) -> str:
    """lcb_runner's ``truncatefn``: ``str(value)`` with its middle cut out beyond ``length`` characters."""
    try:
        text = value if isinstance(value, str) else str(value)
    except Exception:
        text = f"<unprintable {type(value).__name__}>"
    if len(text) <= length:
        return text
    return text[: length // 2] + "...(truncated) ..." + text[-length // 2 :]


# ---------------------------------------------------------------------------------------------- the program
def clean_if_name(code: str) -> str:
    """Unwrap a trailing ``if __name__ == '__main__':`` (its body joins the module), as lcb_runner.

    Only the last statement, and only that exact condition as ``ast.unparse`` writes it, counts; any
    other form stays, and then never runs, because the solution's module is named ``tmp_sol``.
    """
    try:
        tree = ast.parse(code)
        last = tree.body[-1]
        if isinstance(last, ast.If) and ast.unparse(last.test).strip() == "__name__ == '__main__'":
            # Lists, as the reference passes them (a Module would render a leading docstring differently).
            code = ast.unparse(cast(ast.AST, tree.body[:-1])) + "\n" + ast.unparse(cast(ast.AST, last.body))
    except Exception:  # unparsable code is left for the compiler to reject
        pass
    return code


def make_function(code: str) -> str:
    """The prelude, the code's top-level imports, and every other statement inside ``wrapped_function``."""
    try:
        tree = ast.parse(code)
        imports = [s for s in tree.body if isinstance(s, ast.Import | ast.ImportFrom)]
        others = [s for s in tree.body if not isinstance(s, ast.Import | ast.ImportFrom)]
        no_args = ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[])
        function = ast.FunctionDef(name="wrapped_function", args=no_args, body=others, decorator_list=[], lineno=-1)
        return IMPORT_PRELUDE + "\n" + ast.unparse(cast(ast.AST, imports)) + "\n" + ast.unparse(function)
    except Exception:  # unparsable code is returned as is, and fails to compile like the reference's
        return code


def compile_solution(code: str, timeout_s: float) -> Any:
    """Execute ``code`` as module ``tmp_sol`` under the alarm; its ``Solution()`` for LeetCode code.

    ``compile`` and ``exec`` are separate steps (the reference passes the string to ``exec``, which
    does both) only so that a syntax error is told apart from an error raised by running the module.
    """
    set_alarm(timeout_s)
    try:
        try:
            compiled = compile(code, "<string>", "exec")
        except (SyntaxError, ValueError) as exc:
            raise _DoesNotCompile(exc) from exc
        module = types.ModuleType("tmp_sol", "")
        exec(compiled, module.__dict__)
        return module.Solution() if "class Solution" in code else module
    finally:
        set_alarm(0)


class _DoesNotCompile(Exception):
    def __init__(self, error: Exception) -> None:
        super().__init__(error)
        self.error = error


# ---------------------------------------------------------------------------------------------- stdin / stdout
class _CapturedStdout:
    """``sys.stdout`` swapped for a ``StringIO`` whose ``close`` takes one argument and does nothing.

    As lcb_runner's ``Capturing`` (``close = lambda x: 1``): ``sys.stdout.close()`` with no argument
    raises ``TypeError`` there too.
    """

    text = ""

    def __enter__(self) -> _CapturedStdout:
        self._saved = sys.stdout
        self._buffer = io.StringIO()
        self._buffer.close = lambda _unused: 1  # type: ignore[assignment,misc]
        sys.stdout = self._buffer
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.text = self._buffer.getvalue()
        sys.stdout = self._saved


def _open_returning(data: str) -> Callable[..., io.StringIO]:
    """Stand-in for ``mock_open(read_data=data)``: every call opens the input afresh; writes vanish."""

    def fake_open(*args: Any, **kwargs: Any) -> io.StringIO:
        handle = io.StringIO(data)
        handle.write = lambda *a, **k: None  # type: ignore[method-assign,assignment]
        return handle

    return fake_open


def call_with_stdin(method: Callable[[], Any], given: str) -> None:
    """Call the wrapped solution with ``given`` as its input, patched as lcb_runner's ``call_method``."""
    lines = iter(given.split("\n"))
    old_stdin = sys.stdin
    patched: dict[str, Callable[..., Any]] = {
        "read": lambda *args: given,
        "readline": lambda *args: next(lines),
        "readlines": lambda *args: given.split("\n"),
    }
    saved_open = builtins.open
    for name, replacement in patched.items():
        setattr(old_stdin, name, replacement)
    sys.stdin = io.TextIOWrapper(io.BytesIO(given.encode("utf-8")), encoding="utf-8")
    builtins.open = _open_returning(given)  # type: ignore[assignment]
    try:
        method()
    except SystemExit:
        pass
    finally:
        builtins.open = saved_open
        sys.stdin = old_stdin
        for name in patched:
            old_stdin.__dict__.pop(name, None)


def _decimals(line: str) -> list[Decimal] | None:
    try:
        return [Decimal(item) for item in line.split()]
    except Exception:
        return None


def compare_stdout(got: str, expected: str) -> str | None:
    """None when ``got`` matches ``expected`` as lcb_runner's ``grade_stdio`` decides, else why not.

    Both are stripped, split on ``\\n`` and each line stripped; the line counts must agree; a line
    that differs as text may still match as a sequence of ``Decimal`` numbers (``1.0`` = ``1``).
    """
    got_lines = [line.strip() for line in got.strip().split("\n")]
    expected_lines = [line.strip() for line in expected.strip().split("\n")]
    if len(got_lines) != len(expected_lines):
        return "Wrong answer: mismatched output length"
    for index, (mine, theirs) in enumerate(zip(got_lines, expected_lines, strict=True)):
        if mine == theirs:
            continue
        got_numbers = _decimals(mine)
        expected_numbers = _decimals(theirs) if got_numbers is not None else None
        if got_numbers is None or expected_numbers is None or got_numbers != expected_numbers:
            return f"Wrong answer at output_line_idx={index}: {truncate(mine)} != {truncate(theirs)}"
    return None


# ---------------------------------------------------------------------------------------------- grading
class Progress:
    """How far the tests got, for a verdict written after an exception escaped the grading loop."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.test: int | None = None
        self.passed = 0


def verdict(outcome: str, progress: Progress, **fields: Any) -> dict[str, Any]:
    """One verdict: outcome, failing test (0-based), tests passed, total, and what went wrong."""
    return {
        "outcome": outcome,
        "failed_test": progress.test if outcome != "passed" else None,
        "passed_tests": progress.passed,
        "total_tests": progress.total,
        **fields,
    }


def _test_exception(exc: BaseException, progress: Progress, expected: str | None = None) -> dict[str, Any]:
    # lcb_runner tells a timeout from a runtime error by the text of repr(), not by the type.
    outcome = "timeout" if "timeoutexception" in repr(exc).lower() else "error"
    if outcome == "error" and isinstance(exc, MemoryError):
        outcome = "memory_limit"
    return verdict(outcome, progress, exception=type(exc).__name__, message=truncate(repr(exc)), expected=expected)


def grade_call_based(code: str, tests: dict[str, Any], timeout_s: float, progress: Progress) -> dict[str, Any]:
    """LeetCode problems: call ``fn_name`` with each test's JSON arguments and compare with ``==``."""
    solution = compile_solution(IMPORT_PRELUDE + "\n\n" + code, timeout_s)
    fn_name = tests["fn_name"]
    try:
        method = getattr(solution, fn_name)
    except Exception:
        return verdict("error", progress, exception="AttributeError", message=f"the code defines no {fn_name!r}")
    arguments = [[json.loads(line) for line in given.split("\n")] for given in tests["inputs"]]
    expected = [json.loads(output) for output in tests["outputs"]]
    for index, (args, want) in enumerate(zip(arguments, expected, strict=False)):
        progress.test = index
        set_alarm(timeout_s)
        try:
            got = method(*args)
            set_alarm(0)
            if isinstance(got, tuple):  # a tuple answer is not penalised; the gold answers are lists
                got = list(got)
            if not got == want:  # noqa: SIM201 - the reference negates ==, which a custom __eq__ may not mirror in !=
                return verdict("failed", progress, message="Wrong Answer", got=truncate(got), expected=truncate(want))
        except Exception as exc:
            set_alarm(0)
            return _test_exception(exc, progress, truncate(want))
        finally:
            set_alarm(0)
        progress.passed += 1
    return verdict("passed", progress)


def grade_stdio(code: str, tests: dict[str, Any], timeout_s: float, progress: Progress) -> dict[str, Any]:
    """Standard-input problems: run the wrapped program on each input and compare what it prints."""
    solution = compile_solution(make_function(clean_if_name(code)), timeout_s)
    method = getattr(solution, "wrapped_function", None)
    if method is None:
        return verdict("error", progress, exception="AttributeError", message="no wrapped_function")
    for index, (given, want) in enumerate(zip(tests["inputs"], tests["outputs"], strict=False)):
        progress.test = index
        set_alarm(timeout_s)
        with _CapturedStdout() as captured:
            try:
                call_with_stdin(method, "\n".join(given) if isinstance(given, list) else given)
                set_alarm(0)
            except Exception as exc:
                set_alarm(0)
                return _test_exception(exc, progress, truncate(want))
            finally:
                set_alarm(0)
        problem = compare_stdout(captured.text, want)
        if problem is not None:
            return verdict("failed", progress, message=problem, got=truncate(captured.text), expected=truncate(want))
        progress.passed += 1
    return verdict("passed", progress)


def grade(code: str, tests: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    """The verdict on ``code``; whatever escapes the tests (an exit, a compile error) is classified too.

    lcb_runner fails such a solution as well: a syntax or module-level error as "Error during
    testing", a ``SystemExit`` or ``KeyboardInterrupt`` of call-based code by ending its worker.
    """
    progress = Progress(min(len(tests["inputs"]), len(tests["outputs"])))
    grader = grade_stdio if tests.get("fn_name") is None else grade_call_based
    try:
        return grader(code, tests, timeout_s, progress)
    except _DoesNotCompile as exc:
        return verdict("syntax_error", progress, exception=type(exc.error).__name__, message=truncate(exc.error))
    except BaseException as exc:
        set_alarm(0)
        return _test_exception(exc, progress)


# ---------------------------------------------------------------------------------------------- the process
def reliability_guard() -> None:
    """lcb_runner's ``reliability_guard()`` (no memory limit): disable what could damage the tests.

    Not a sandbox (the sandbox around this process is); kept because solutions that call these
    functions fail in the reference, and must fail here too.
    """
    builtins.quit = None  # type: ignore[assignment]
    builtins.help = None  # type: ignore[assignment]
    os.environ["OMP_NUM_THREADS"] = "1"
    for name in (
        "kill", "system", "putenv", "remove", "removedirs", "rmdir", "fchdir", "setuid", "fork", "forkpty",
        "killpg", "rename", "renames", "truncate", "replace", "unlink", "fchmod", "fchown", "chmod", "chown",
        "chroot", "lchflags", "lchmod", "lchown", "getcwd", "chdir",
    ):  # fmt: skip
        setattr(os, name, None)
    import shutil
    import subprocess

    shutil.rmtree = None  # type: ignore[assignment]
    shutil.move = None  # type: ignore[assignment]
    shutil.chown = None  # type: ignore[assignment]
    subprocess.Popen = None  # type: ignore[assignment,misc]
    for name in ("ipdb", "joblib", "resource", "psutil", "tkinter"):
        sys.modules[name] = None  # type: ignore[assignment]


def _site_exit(code: Any = None) -> None:
    """``exit`` as ``site`` installs it (``-S`` skips ``site``): close stdin, raise ``SystemExit``.

    The prelude's ``from builtins import *`` binds it over ``sys.exit`` in the reference's solutions.
    """
    with contextlib.suppress(Exception):
        sys.stdin.close()
    raise SystemExit(code)


def _read_text(name: str) -> str:
    with open(name, encoding="utf-8") as handle:
        text = handle.read()
    with contextlib.suppress(OSError):  # where the sandbox binds the file read-only, it stays
        os.remove(name)
    return text


def main() -> None:
    """Read the inputs, set the process up as EvalScope's worker is, grade, write the verdict, exit."""
    settings = json.loads(sys.stdin.read())
    code, tests = _read_text("solution.py"), json.loads(_read_text("tests.json"))
    verdict_fd = os.dup(1)
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    # multiprocessing's worker closes the inherited stdin and reads /dev/null instead.
    sys.stdin.close()
    sys.stdin = open(os.open(os.devnull, os.O_RDONLY), encoding="utf-8", closefd=False)  # noqa: SIM115
    builtins.exit = _site_exit  # type: ignore[assignment]
    signal.signal(signal.SIGALRM, _on_alarm)
    write, dumps = os.write, json.dumps  # held before the solution can replace them
    reliability_guard()
    result = grade(code, tests, float(settings["timeout_s"]))
    set_alarm(0)
    write(verdict_fd, verdict_line(settings["marker"], result, dumps).encode("ascii"))
    os._exit(0)


def verdict_line(marker: str, result: dict[str, Any], dumps: Callable[..., str] = json.dumps) -> str:
    """``<marker><json>\\n``, its texts shortened until the line fits :data:`MAX_VERDICT_CHARS`.

    ASCII-only JSON, so escapes (``\\u0001`` is six characters) are what may need the shortening.
    """
    line = ""
    for limit in (None, 100, 20, 0):
        shortened = {
            key: value[:limit] if limit is not None and key in _FREE_TEXT and isinstance(value, str) else value
            for key, value in result.items()
        }
        line = marker + dumps(shortened, ensure_ascii=True) + "\n"
        if len(line) <= MAX_VERDICT_CHARS:
            break
    return line


if __name__ == "__main__":
    main()
