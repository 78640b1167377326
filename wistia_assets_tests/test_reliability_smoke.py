"""Two cases of the reliability matrix through the harness's own functions, so the harness
cannot rot between full runs (`make reliability`, docs/RELIABILITY.md): a fault case through the
real job and the loopback sandbox that ends in the ground-truth comparison and the harness's
final scans (secrets, personal data, layout), and the run queue's per-media limit. ~30 s."""

from __future__ import annotations

import pytest

from reliability.matrix import run_case
from reliability.suite import select


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.parametrize("name", ["truncated_body", "run_queue_per_media"])
def test_reliability_case_passes(name, spark):
    (case,) = select(names=[name])
    result = run_case(case)
    assert result.passed, "\n".join(result.failures)
    assert result.runs or name == "run_queue_per_media"
