"""Each build of the transform engine returns the result of what it was asked: a Glue run that
sends back another table's result (a job deployed from another commit, a wrong `--table`) is a
clear `ResultMismatch` at the engine, not an attribute error in a check later."""

from __future__ import annotations

from datetime import date

import pytest

from wistia_assets.partitions import Window
from wistia_assets.resources.silver_engine import GlueEngine
from wistia_assets.transforms.results import BuildResult, ResultMismatch
from wistia_assets_tests.silver_results import by_date_result, dim_result, events_result

STARTED: list[dict[str, str]] = []  # the job arguments of every run the engine started
WINDOW = Window(date(2026, 11, 20), "e4a27b971d")


class AnsweringGlueEngine(GlueEngine):
    """The Glue engine with its job replaced by one that answers `answer` whatever it is asked."""

    answer: str

    def _run(self, context, arguments: dict[str, str]) -> BuildResult:
        STARTED.append(arguments)
        results = {"fact_events": events_result, "fact_media_by_date": by_date_result}
        return results.get(self.answer, dim_result)()


def engine(answer: str) -> AnsweringGlueEngine:
    STARTED.clear()
    return AnsweringGlueEngine(
        answer=answer,
        job_name="wistia-silver",
        pipes_bucket="pipes",
        bronze_root="s3://bronze",
        silver_root="s3://silver",
        hash_key_secret_id="wistia/hash-key",
    )


def test_each_build_returns_the_result_it_asked_for():
    assert engine("fact_events").build_fact_events(None, WINDOW).table == "fact_events"
    assert STARTED[-1]["--table"] == "fact_events"
    by_date = engine("fact_media_by_date").build_fact_media_by_date(None, WINDOW)
    assert by_date.play_count == by_date_result().play_count
    assert engine("dim_media").build_dim_media(None).table == "dim_media"


def test_another_tables_result_is_a_mismatch():
    with pytest.raises(ResultMismatch, match="a fact_events build returned a fact_media_by_date"):
        engine("fact_media_by_date").build_fact_events(None, WINDOW)
    with pytest.raises(ResultMismatch, match="a dim_media build returned a fact_events"):
        engine("fact_events").build_dim_media(None)
    with pytest.raises(ResultMismatch, match="a media_daily build returned a dim_media"):
        engine("dim_media").build_media_daily(None, "2026-11-20", "2026-11-20", ("e4a27b971d",))


def test_an_unknown_fact_table_starts_no_job():
    glue = engine("fact_events")
    with pytest.raises(ValueError, match="table must be one of fact_events, fact_media_by_date"):
        glue.build_partition(None, "media_daily", WINDOW)
    assert STARTED == []
