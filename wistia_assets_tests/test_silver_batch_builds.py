"""Several windows built in one Spark pass hold what building them one after the other holds.

A `run` of seven days builds each fact table's fourteen partitions together (issue 18: one set of
Spark jobs instead of fourteen). The neighbour guard is the one rule where the order of builds
shows: the day written first keeps a key that two days hold, and a window is judged against
dt-1 as this batch rewrote it and dt+1 as it was on disk. Here keys the API sent on two or three
adjacent days, and neighbours built earlier (inside and outside the batch), are built both ways
from the same Bronze and the same earlier Silver: the same rows, quarantines and figures.
"""

from __future__ import annotations

import json
import random

import pytest

from wistia_assets.transforms.results import to_json
from wistia_assets.transforms.runner import run_partitions
from wistia_assets_tests.support.transforms import (
    HASH_KEY,
    MEDIA_A,
    MEDIA_B,
    fixture_lines,
    partition_dir,
    read_quarantine,
    read_rows,
    write_bronze,
)

pytestmark = pytest.mark.spark

BEFORE, D1, D2, D3, D4 = "2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23"
DAYS = (D1, D2, D3, D4)
TEMPLATE = json.loads(fixture_lines("events_current.ndjson")[0])


def build_events(spark, root, windows):
    """`fact_events` of `windows` in the lake at `root`, in one build (`run_partitions`)."""
    uri = f"file://{root}"
    return run_partitions(
        spark,
        table="fact_events",
        windows=windows,
        bronze_root=uri,
        silver_root=uri,
        hash_key=HASH_KEY,
    )


def event(key: str, day: str, media_id: str, minute: int = 0) -> str:
    return json.dumps(
        dict(
            TEMPLATE,
            event_key=key,
            media_id=media_id,
            visitor_key=f"visitor-{key}",
            received_at=f"{day}T10:{minute:02d}:00.000Z",
        )
    )


def earlier_silver(media_id: str) -> dict[str, list[str]]:
    """What an earlier run wrote: dt=BEFORE holds k4, dt=D2 holds k5, dt=D4 holds k3."""
    return {
        BEFORE: [event("k4", BEFORE, media_id), event(f"old-{media_id}", BEFORE, media_id, 1)],
        D2: [event("k5", D2, media_id)],
        D4: [event("k3", D4, media_id)],
    }


def todays_bronze(media_id: str) -> dict[str, list[str]]:
    """The pulls being built now. k1: sent on D1 and D2. k2: on D2, D3 and D4 (a chain). k3: on
    D3, while the earlier D4 holds it. k4: on D1, while BEFORE holds it. k5: on D3, while the
    earlier D2 held it (the batch rewrites D2 without it). Plus a plain event a day."""
    lines = {day: [event(f"plain-{day}", day, media_id, 30)] for day in DAYS}
    lines[D1] += [event("k1", D1, media_id, 1), event("k4", D1, media_id, 4)]
    lines[D2] += [event("k1", D2, media_id, 1), event("k2", D2, media_id, 2)]
    lines[D3] += [
        event("k2", D3, media_id, 2),
        event("k3", D3, media_id, 3),
        event("k5", D3, media_id, 5),
    ]
    lines[D4] += [event("k2", D4, media_id, 2)]
    return lines


def prepare(spark, root) -> None:
    for media_id in (MEDIA_A, MEDIA_B):
        for day, lines in earlier_silver(media_id).items():
            write_bronze(root, "events", day, media_id, lines, run_token="20261101T000000Zold000")
            build_events(spark, root, [(day, media_id)])
        for day, lines in todays_bronze(media_id).items():
            write_bronze(root, "events", day, media_id, lines, run_token="20261125T000000Znew000")


def state(root, results) -> dict:
    uri = f"file://{root}"
    figures = {}
    for result in results:
        fields = {k: v for k, v in to_json(result).items() if k != "elapsed_seconds"}
        figures[(result.dt, result.media_id)] = json.loads(json.dumps(fields).replace(uri, "LAKE"))
    return {
        "rows": {
            (day, m): [
                r["event_key"] for r in read_rows(partition_dir(root, "fact_events", day, m))
            ]
            for day in (BEFORE, *DAYS)
            for m in (MEDIA_A, MEDIA_B)
        },
        "full_rows": {
            (day, m): read_rows(partition_dir(root, "fact_events", day, m))
            for day in DAYS
            for m in (MEDIA_A, MEDIA_B)
        },
        "quarantine": {
            (day, m): read_quarantine(root, "events", day, m)
            for day in DAYS
            for m in (MEDIA_A, MEDIA_B)
        },
        "figures": figures,
    }


def test_a_batch_holds_what_one_build_after_the_other_holds(spark, tmp_path):
    one_by_one, batch = tmp_path / "one_by_one", tmp_path / "batch"
    windows = [(day, m) for day in DAYS for m in (MEDIA_A, MEDIA_B)]
    for root in (one_by_one, batch):
        prepare(spark, root)

    # One window at a time, oldest day first, as `run` built them.
    sequential = [build_events(spark, one_by_one, [window])[0] for window in windows]
    shuffled = windows[:]
    random.Random(3).shuffle(shuffled)  # the caller's order does not matter
    batched = build_events(spark, batch, shuffled)
    assert [(r.dt, r.media_id) for r in batched] == shuffled

    expected, got = state(one_by_one, sequential), state(batch, batched)
    assert got["rows"] == expected["rows"]
    assert got["full_rows"] == expected["full_rows"]
    assert got["quarantine"] == expected["quarantine"]
    assert got["figures"] == expected["figures"]

    # The fixture reaches every branch of the rule (so equal is not trivially equal).
    for m in (MEDIA_A, MEDIA_B):
        rows = expected["rows"]
        assert sorted(rows[(D1, m)]) == ["k1", f"plain-{D1}"]  # k4: BEFORE holds it
        assert sorted(rows[(D2, m)]) == ["k2", f"plain-{D2}"]  # k1: D1 was written first
        # k2 quarantined (D2 holds it), k3 quarantined (the earlier D4 held it), k5 kept (the
        # batch had rewritten D2 without it).
        assert sorted(rows[(D3, m)]) == ["k5", f"plain-{D3}"]
        # k2 kept again: D3 was rewritten without it; k3 is gone from the rewritten D4.
        assert sorted(rows[(D4, m)]) == ["k2", f"plain-{D4}"]
        reasons = {day: expected["figures"][(day, m)]["quarantine_reasons"] for day in DAYS}
        assert reasons == {
            D1: {f"event_key already in dt={BEFORE}": 1},
            D2: {f"event_key already in dt={D1}": 1},
            D3: {f"event_key already in dt={D2}": 1, f"event_key already in dt={D4}": 1},
            D4: {},
        }
        assert all(expected["figures"][(day, m)]["neighbours_checked"] for day in DAYS)


def test_a_batch_of_days_far_apart_is_judged_against_the_disk_alone(spark, tmp_path):
    """Windows of a batch that are no neighbours of each other: no key is decided in Python,
    and each is judged as alone."""
    prepare(spark, tmp_path)
    d1, d3 = build_events(spark, tmp_path, [(D1, MEDIA_A), (D3, MEDIA_A)])
    assert d1.quarantine_reasons == {f"event_key already in dt={BEFORE}": 1}
    # The earlier D2 (k5) and D4 (k3) still stand: D3 quarantines both; k2 it keeps.
    assert d3.quarantine_reasons == {
        f"event_key already in dt={D2}": 1,
        f"event_key already in dt={D4}": 1,
    }
    kept = sorted(
        r["event_key"] for r in read_rows(partition_dir(tmp_path, "fact_events", D3, MEDIA_A))
    )
    assert kept == ["k2", f"plain-{D3}"]


def test_a_window_given_twice_or_none_is_refused(spark, tmp_path):
    for windows, message in (([(D1, MEDIA_A), (D1, MEDIA_A)], "given twice"), ([], "no window")):
        with pytest.raises(ValueError, match=message):
            build_events(spark, tmp_path, windows)
