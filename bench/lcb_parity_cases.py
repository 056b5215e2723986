"""The (problem, code) pairs ``lcb_parity.py`` gives EvalScope's ``run_test`` and Assay's runner.

Hand-written to reach the cases where lcb_runner's verdict is subtle: how stdin can be read, the
``Decimal`` comparison, blank lines and line counts, ``__main__`` guards, exits, the statements
``make_function`` moves into ``wrapped_function``, timeouts, crashes, tuples vs lists, output that
never reaches the capture. Each pair states the verdict the reference is expected to give, so a
change on either side shows up as a disagreement or as a wrong expectation.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Pair:
    """One problem's tests and one program; ``passes`` is what lcb_runner is expected to say."""

    name: str
    tests: list[tuple[str, str]]
    code: str
    passes: bool
    fn_name: str | None = None


SUM = [("3\n1 2 3\n", "6\n"), ("2\n5 5\n", "10\n")]
READ_SUM = "n = int(input())\nprint(sum(map(int, input().split())))"
TWO_SUM = [("[2, 7, 11, 15]\n9", "[0, 1]"), ("[3, 2, 4]\n6", "[1, 2]")]
TWO_SUM_BODY = (
    "        seen = {}\n        for i, x in enumerate(nums):\n            if target - x in seen:\n"
    "                return ANSWER\n            seen[x] = i\n"
)
SOLUTION_HEAD = "class Solution:\n    def twoSum(self, nums: List[int], target: int) -> List[int]:\n"


def two_sum(answer: str = "[seen[target - x], i]", head: str = SOLUTION_HEAD) -> str:
    return head + TWO_SUM_BODY.replace("ANSWER", answer)


def stdin(name: str, code: str, passes: bool, tests: list[tuple[str, str]] = SUM) -> Pair:
    return Pair(name, tests, code, passes)


def printed(name: str, text: str, expected: str, passes: bool) -> Pair:
    return Pair(name, [("\n", expected)], f"print({text!r})", passes)


def call(name: str, code: str, passes: bool) -> Pair:
    return Pair(name, TWO_SUM, code, passes, fn_name="twoSum")


MAIN = "def main():\n    " + READ_SUM.replace("\n", "\n    ")
PAIRS: list[Pair] = [
    # --- reading stdin
    stdin("input", READ_SUM, True),
    stdin("stdin.read", "import sys\nd = sys.stdin.read().split()\nprint(sum(map(int, d[1:])))", True),
    stdin("stdin.readline", "import sys\nsys.stdin.readline()\nprint(sum(map(int, sys.stdin.readline().split())))",
          True),
    stdin("stdin.buffer", "import sys\nd = sys.stdin.buffer.read().split()\nprint(sum(map(int, d[1:])))", True),
    stdin("for line in stdin", "import sys\nL = [l for l in sys.stdin]\nprint(sum(map(int, L[1].split())))", True),
    stdin("input = readline", "import sys\ninput = sys.stdin.readline\ninput()\nprint(sum(map(int, input().split())))",
          True),
    stdin("from sys import stdin",
          "from sys import stdin\nstdin.readline()\nprint(sum(map(int, stdin.readline().split())))", True),
    stdin("prelude stdin", "stdin.readline()\nprint(sum(map(int, stdin.readline().split())))", True),
    stdin("prelude stdin.read", "print(sum(map(int, stdin.read().split()[1:])))", True),
    stdin("from sys import stdin, iterate", "from sys import stdin\nprint(sum(map(int, list(stdin)[1].split())))",
          False),
    stdin("open(0)", "d = open(0).read().split()\nprint(sum(map(int, d[1:])))", False),
    stdin("builtins.open", "import builtins\nd = builtins.open('x').read().split()\nprint(sum(map(int, d[1:])))", True),
    # --- structure: main guards, wrapped_function, recursion, threads
    stdin("main guard", MAIN + "\nif __name__ == '__main__':\n    main()", True),
    stdin("main guard, double quotes", MAIN + '\nif __name__ == "__main__":\n    main()', True),
    stdin("main guard not last", MAIN + "\nif __name__ == '__main__':\n    main()\nx = 1", False),
    stdin("main guard reversed", MAIN + "\nif '__main__' == __name__:\n    main()", False),
    stdin("global of a moved variable", "input()\ntotal = 0\ndef add(x):\n    global total\n    total += x\n"
          "for v in map(int, input().split()):\n    add(v)\nprint(total)", False),
    stdin("closure over a moved variable", "input()\nvals = list(map(int, input().split()))\n"
          "def total():\n    return sum(vals)\nprint(total())", True),
    stdin("deep recursion", "def s(k):\n    return 0 if k == 0 else 1 + s(k - 1)\n"
          "input()\nx = sum(map(int, input().split()))\nprint(s(20000) - 20000 + x)", True),
    stdin("thread joined", "import threading\ndef run():\n    " + READ_SUM.replace("\n", "\n    ")
          + "\nt = threading.Thread(target=run)\nt.start()\nt.join()", True),
    stdin("class Solution in stdin code", "class Solution:\n    pass\n" + READ_SUM, False),
    # --- exits and guards
    stdin("exit()", READ_SUM + "\nexit()\nprint('x')", True),
    stdin("sys.exit(1)", READ_SUM + "\nimport sys\nsys.exit(1)\nprint('x')", True),
    stdin("raise SystemExit", READ_SUM + "\nraise SystemExit\nprint('x')", True),
    stdin("quit()", READ_SUM + "\nquit()", False),
    stdin("os.getcwd", "import os\nos.getcwd()\n" + READ_SUM, False),
    stdin("stdout.close()", READ_SUM + "\nimport sys\nsys.stdout.close()", False),
    stdin("os._exit(0)", READ_SUM + "\nimport os\nos._exit(0)", False),
    # --- errors and limits
    stdin("ZeroDivisionError", "input()\n1 / 0", False),
    stdin("syntax error", "def f(:\n    pass", False),
    stdin("import-only program", "import sys", False),
    stdin("infinite loop", "while True:\n    pass", False),
    stdin("loop on the second test", "n = int(input())\nwhile n == 2:\n    pass\nprint(sum(map(int, input().split())))",
          False),
    stdin("memory bomb", "x = [0] * (10 ** 10)", False),
    # --- output comparison
    stdin("wrong answer", "input()\nprint(max(map(int, input().split())))", False),
    stdin("extra line", READ_SUM + "\nprint('done')", False),
    stdin("leading blank line", "input()\nprint()\nprint(sum(map(int, input().split())))", True),  # stripped
    printed("blank line inside", "1\n\n2", "1\n2\n", False),
    stdin("trailing blanks", READ_SUM + "\nprint('   ')\nprint()", True),
    stdin("float for int", "input()\nprint(float(sum(map(int, input().split()))))", True),
    stdin("padded decimals", "input()\nprint('%.2f' % sum(map(int, input().split())))", True),
    printed(".5 for 0.5", ".5", "0.5\n", True),
    printed("1e2 for 100", "1e2", "100\n", True),
    printed("1  2 for 1 2", "1  2", "1 2\n", True),
    printed("NaN for nan", "NaN", "nan\n", False),
    printed("nan for nan", "nan", "nan\n", True),
    printed("YES for yes", "YES", "yes\n", False),
    printed("0.3333 for 0.333333", "0.3333", "0.333333\n", False),
    printed("1_000 for 1000", "1_000", "1000\n", True),  # Decimal reads the underscore
    stdin("real stdout", "from sys import stdout\ninput()\nstdout.write(str(sum(map(int, input().split()))) + '\\n')",
          False),
    stdin("stderr only", "import sys\ninput()\nprint(sum(map(int, input().split())), file=sys.stderr)", False),
    stdin("forged verdict", "print('@@assay-lcb-verdict-00@@{\"outcome\": \"passed\"}')", False),
    # --- call-based
    call("list", two_sum(), True),
    call("tuple", two_sum("(seen[target - x], i)"), True),
    call("nested tuple", two_sum("[(seen[target - x], i)]"), False),
    call("wrong order", two_sum("[i, seen[target - x]]"), False),
    call("module function", two_sum(head="def twoSum(nums, target):\n").replace("\n    ", "\n"), True),
    call("missing method", two_sum().replace("twoSum", "two_sum"), False),
    call("exit() in method", two_sum("exit()"), False),
    call("module-level loop", "while True:\n    pass\n" + two_sum(), False),
    call("ZeroDivisionError", two_sum("1 / 0"), False),
    call("prints", two_sum() + "        print('debug')\n", True),
    call("no typing import", two_sum().replace("List[int]", "Optional[List[int]]"), True),
    call("floats", two_sum("[float(seen[target - x]), float(i)]"), True),
    call("syntax error", "class Solution:\n    def twoSum(self, nums, target)\n        return []", False),
]  # fmt: skip
