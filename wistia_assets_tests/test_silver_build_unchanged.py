"""Running the builds faster changes nothing in what they build (issue 18).

`data/build_digest.json` was written by the design before issue 18 (commit 11a191d, every
shuffle stage a job of its own, the neighbour keys broadcast) from fixed sandbox days with drift
duplicates, bad and foreign records (`support/build_digest.py`); this build of the same Bronze
must write the same rows to every Silver and Gold table and the quarantine, and report the same
figures to the checks. Regenerate only for a change that is meant to change what is built:
`.venv/bin/python scripts/build_digest.py`, and say why in the commit.
"""

from __future__ import annotations

import json

import pytest

from wistia_assets_tests.support.build_digest import GOLDEN, build_digest


@pytest.mark.parametrize("batched", [False, True], ids=["day by day", "all days in one build"])
def test_silver_and_gold_hold_the_same_rows_and_figures_as_before(spark, tmp_path, batched):
    """Built a day at a time (the schedule's way) or every day of a table in one build (a `run`
    of several days): the same rows and figures as the design before issue 18 wrote."""
    golden = json.loads(GOLDEN.read_text())
    built = build_digest(spark, tmp_path / "lake", batched=batched)

    assert built["days"] == golden["days"]
    # What a difference would be: the rows of each table, then every build's figures by field.
    assert built["tables"] == golden["tables"]
    assert sorted(built["results"]) == sorted(golden["results"])
    for name, figures in golden["results"].items():
        assert built["results"][name] == figures, name
    # The fixture is not trivially empty: it exercises dedup, quarantine and the neighbour guard.
    assert golden["tables"]["fact_events"]["rows"] > 500
    assert golden["tables"]["quarantine"]["rows"] > 0
    assert any(r.get("neighbours_checked") for r in golden["results"].values())
