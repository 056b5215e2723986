"""Extraction table: what the math benchmarks count as right, on gold answers of the real sets.

Each row is (gold record, model reply, verdict, extracted answer) scored through the benchmark's own
adapter, so it pins extraction (``\\boxed{}`` with nested braces, ``The answer is``, units, LaTeX
fractions, degrees, percentages) and Math-Verify's equivalence together.
"""

from __future__ import annotations

import pytest

from assay.benchmarks import build_adapter
from assay.types import Sample, SampleStatus
from tests.benchmarks.helpers import score
from tests.conftest import shared_data

MATH_500_CASES = [
    # \boxed{} with nested braces: gold \frac{3\sqrt{3}}{4}
    ("test/algebra/2253.json", "So the area is $\\boxed{\\frac{3\\sqrt{3}}{4}}$.", 1.0, "\\frac{3\\sqrt{3}}{4}"),
    ("test/algebra/2253.json", "\\boxed{\\dfrac{3\\sqrt{3}}{4}}", 1.0, "\\frac{3\\sqrt{3}}{4}"),
    ("test/algebra/2253.json", "\\boxed{\\frac{3\\sqrt{3}}{2}}", 0.0, "\\frac{3\\sqrt{3}}{2}"),
    ("test/intermediate_algebra/2015.json", "\\boxed{\\{1\\pm\\sqrt{5},-2\\}}", 1.0, "\\{1\\pm\\sqrt{5},-2\\}"),
    # intervals keep their bracket kind
    ("test/algebra/2486.json", "\\boxed{\\left(\\frac{3}{5},\\frac{8}{3}\\right]}", 1.0, "(\\frac{3}{5},\\frac{8}{3}]"),
    ("test/algebra/2486.json", "\\boxed{\\left[\\frac{3}{5},\\frac{8}{3}\\right]}", 0.0, "[\\frac{3}{5},\\frac{8}{3}]"),
    # LaTeX fractions against decimals, \dfrac and a slash: gold \frac{1}{2}
    ("test/counting_and_probability/282.json", "\\boxed{0.5}", 1.0, "\\frac{1}{2}"),
    ("test/counting_and_probability/282.json", "\\boxed{\\dfrac{1}{2}}", 1.0, "\\frac{1}{2}"),
    ("test/counting_and_probability/282.json", "\\boxed{1/2}", 1.0, "\\frac{1}{2}"),
    ("test/counting_and_probability/282.json", "\\boxed{\\frac{1}{3}}", 0.0, "\\frac{1}{3}"),
    # 'The answer is' without a box
    ("test/counting_and_probability/282.json", "The answer is 1/2", 1.0, "1/2"),
    # gold \dfrac{17}{50}: a decimal and a percentage are equivalent
    ("test/prealgebra/1655.json", "\\boxed{\\frac{17}{50}}", 1.0, "\\frac{17}{50}"),
    ("test/prealgebra/1655.json", "\\boxed{0.34}", 1.0, "0.34"),
    ("test/prealgebra/1655.json", "\\boxed{34\\%}", 1.0, "34\\%"),
    ("test/prealgebra/1742.json", "\\boxed{33\\%}", 1.0, "33\\%"),
    # degrees: gold 90^\circ
    ("test/precalculus/927.json", "\\boxed{90^\\circ}", 1.0, "90^\\circ"),
    ("test/precalculus/927.json", "\\boxed{90}", 1.0, "90"),
    ("test/precalculus/927.json", "It is 90 degrees, so \\boxed{90^{\\circ}}.", 1.0, "90^{\\circ}"),
    ("test/precalculus/927.json", "\\boxed{45^\\circ}", 0.0, "45^\\circ"),
    ("test/prealgebra/1003.json", "\\boxed{\\frac{270}{7}\\text{ degrees}}", 1.0, "\\frac{270}{7}"),
    # trailing units: gold 15\mbox{ cm}^2, 864 \mbox{ inches}^2, \$18.90, \$32,\!348
    ("test/prealgebra/1114.json", "\\boxed{15\\text{ cm}^2}", 1.0, "15"),
    ("test/prealgebra/1114.json", "\\boxed{15 cm}", 1.0, "15"),
    ("test/prealgebra/1114.json", "The area is 15 cm^2.", 1.0, "15"),
    ("test/geometry/473.json", "\\boxed{864 \\mbox{ inches}^2}", 1.0, "864"),
    ("test/algebra/2780.json", "\\boxed{\\$18.90}", 1.0, "18.90"),
    ("test/algebra/2780.json", "\\boxed{18.9}", 1.0, "18.9"),
    ("test/algebra/2626.json", "\\boxed{32348}", 1.0, "32348"),
    # text answers and tuples
    ("test/algebra/1349.json", "\\boxed{\\text{Evelyn}}", 1.0, "\\text{Evelyn}"),
    ("test/precalculus/819.json", "\\boxed{C}", 1.0, "C"),
    ("test/precalculus/807.json", "\\boxed{(3, \\pi/2)}", 1.0, "(3, \\pi/2)"),
    # mixed numbers: fine in a box; outside math delimiters only the LaTeX part is read (known limit)
    ("test/algebra/2470.json", "\\boxed{137.5}", 1.0, "137.5"),
    ("test/algebra/2470.json", "The answer is 137 \\frac{1}{2}", 0.0, "\\frac{1}{2}"),
]


def math_500_samples() -> dict[str, Sample]:
    adapter = build_adapter("math_500", {"local_path": str(shared_data("math500"))})
    return {s.id: s for samples in adapter.load().values() for s in samples}


@pytest.mark.parametrize(("unique_id", "reply", "verdict", "extracted"), MATH_500_CASES)
def test_math_500_verdicts(unique_id: str, reply: str, verdict: float, extracted: str) -> None:
    adapter = build_adapter("math_500", {"local_path": str(shared_data("math500"))})
    result = score(adapter, math_500_samples()[unique_id], reply)
    assert result.status is SampleStatus.SCORED
    assert (result.value, result.extracted) == ({"acc": verdict}, extracted)


# aime24 record 0 (gold "204"): only an integer literal counts
AIME_CASES = [
    ("\\boxed{204}", 1.0),
    ("The answer is 204", 1.0),
    ("\\boxed{204.0}", 1.0),
    ("\\boxed{\\frac{408}{2}}", 0.0),
    ("\\boxed{205}", 0.0),
    ("no idea", 0.0),
]


@pytest.mark.parametrize(("reply", "verdict"), AIME_CASES)
def test_aime24_verdicts(reply: str, verdict: float) -> None:
    adapter = build_adapter("aime24", {"local_path": str(shared_data("aime") / "aime24")})
    result = score(adapter, adapter.load(limit=1)["default"][0], reply)
    assert result.value == {"acc": verdict}


# amc23 record 0 (gold 27.0, "how many miles"): units and a float gold
AMC_CASES = [
    ("They meet \\boxed{27} miles from A.", 1.0),
    ("\\boxed{27\\text{ miles}}", 1.0),
    ("The answer is 27 miles", 1.0),
    ("\\boxed{27.0}", 1.0),
    ("\\boxed{18}", 0.0),
]


@pytest.mark.parametrize(("reply", "verdict"), AMC_CASES)
def test_amc_verdicts(reply: str, verdict: float) -> None:
    adapter = build_adapter("amc", {"local_path": str(shared_data("aime")), "subset_list": ["amc23"]})
    result = score(adapter, adapter.load(limit=1)["amc23"][0], reply)
    assert result.value == {"acc": verdict}
