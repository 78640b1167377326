"""Every figure of the media report equals a query over Silver.

Silver files are written here in the lake layout with the edge cases a real week has: a quiet
day (a by_date row of zeros, no event), a day one media never built, sessions without
percent_viewed, legacy rows without a device, visitors without a hash, more than ten countries.
Spark builds Gold `media_daily` and the report's figures (`transforms/gold_runner.py`, what the
Glue job runs too); DuckDB computes each figure independently from the Silver files, and the
two must agree. Then the rendered report must say what the numbers say.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from wistia_assets.media_report.figures import ReportFigures, format_value
from wistia_assets.media_report.page import coverage, render
from wistia_assets.transforms.gold_runner import (
    OTHER,
    TOP_LABELS,
    run_media_daily,
    run_report_figures,
)
from wistia_assets.transforms.schema import FACT_EVENTS

YT, FB = "medyt0001", "medfb0002"
FIRST, LAST = date(2026, 11, 14), date(2026, 11, 20)
QUIET = (date(2026, 11, 16), FB)  # built, no play
UNBUILT = (date(2026, 11, 18), FB)  # never built
COUNTRIES = ["US", "DE", "BR", "FR", "GB", "CA", "IN", "JP", "AU", "MX", "ES", "IT", None]
BROWSERS = [("Chrome", "Windows", False), ("Mobile Safari", "iOS", True), (None, None, None)]
TYPES = {
    "string": pa.string(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "date": pa.date32(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
}
METRICS_SQL = """
    count(*) AS sessions,
    count(DISTINCT visitor_hash) AS unique_visitors,
    avg(percent_viewed) AS mean_percent_viewed,
    avg(CASE WHEN percent_viewed >= 0.25 THEN 1.0 WHEN percent_viewed IS NOT NULL THEN 0.0 END)
        AS watched_25_share,
    avg(CASE WHEN percent_viewed >= 0.50 THEN 1.0 WHEN percent_viewed IS NOT NULL THEN 0.0 END)
        AS watched_50_share,
    avg(CASE WHEN percent_viewed >= 0.75 THEN 1.0 WHEN percent_viewed IS NOT NULL THEN 0.0 END)
        AS watched_75_share,
    avg(CASE WHEN percent_viewed >= 0.95 THEN 1.0 WHEN percent_viewed IS NOT NULL THEN 0.0 END)
        AS watched_95_share,
    avg(CASE WHEN is_mobile THEN 1.0 WHEN is_mobile IS NOT NULL THEN 0.0 END) AS mobile_share,
    count(is_mobile) AS device_known_sessions
"""


def _events(rng: random.Random, day: date, media: str, n: int) -> list[dict]:
    rows = []
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    for i in range(n):
        browser, platform, mobile = rng.choice(BROWSERS)
        country = rng.choices(COUNTRIES, weights=range(len(COUNTRIES), 0, -1))[0]
        pv = rng.choice([None, 0.0, 0.1, 0.25, 0.5, 0.74, 0.75, 0.95, 1.0, rng.random()])
        at = start + timedelta(seconds=rng.randrange(86_400))
        rows.append(
            {
                "event_key": f"{media}-{day}-{i}",
                "received_at": at,
                "event_date": day,
                "visitor_hash": None if i % 17 == 0 else f"v{rng.randrange(60)}",
                "ip_hash": f"ip{i}",
                "percent_viewed": pv,
                "embed_url": "https://example.com/p",
                "embed_host": "example.com",
                "country": country,
                "region": rng.choice(["Florida", "FL", None, "Berlin"]),
                "city": None,
                "org": None,
                "browser": browser,
                "browser_version": None,
                "platform": platform,
                "is_mobile": mobile,
                "media_name": media,
                "conversion_type": None,
                "has_conversion": False,
                "payload_era": "legacy" if mobile is None else "current",
            }
        )
    return rows


def _write(path: Path, rows: list[dict], schema: pa.Schema) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("gold-lake")
    rng = random.Random(13)
    events_schema = pa.schema([(f.name, TYPES[f.dataType.simpleString()]) for f in FACT_EVENTS])
    by_date_schema = pa.schema(
        [
            ("date", pa.date32()),
            ("load_count", pa.int64()),
            ("play_count", pa.int64()),
            ("hours_watched", pa.float64()),
        ]
    )
    day = FIRST
    while day <= LAST:
        for media in (YT, FB):
            if (day, media) == UNBUILT:
                continue
            part = f"dt={day}/media_id={media}/part-00000.parquet"
            quiet = (day, media) == QUIET
            n = 0 if quiet else rng.randrange(40, 160)
            if n:
                _write(
                    root / "silver/wistia/fact_events" / part,
                    _events(rng, day, media, n),
                    events_schema,
                )
            loads = 0 if quiet else n + rng.randrange(0, 200)
            _write(
                root / "silver/wistia/fact_media_by_date" / part,
                [{"date": day, "load_count": loads, "play_count": n, "hours_watched": n * 0.013}],
                by_date_schema,
            )
        day += timedelta(days=1)
    _write(
        root / "silver/wistia/dim_media/part-00000.parquet",
        [
            {"media_id": YT, "title": "Teaser YT", "channel": "youtube"},
            {"media_id": FB, "title": "Teaser FB", "channel": "facebook"},
        ],
        pa.schema([("media_id", pa.string()), ("title", pa.string()), ("channel", pa.string())]),
    )
    return root


@pytest.fixture(scope="module")
def built(spark, lake):
    root = f"file://{lake}"
    daily = run_media_daily(
        spark, silver_root=root, first=str(FIRST), last=str(LAST), media_ids=(YT, FB)
    )
    figures = run_report_figures(
        spark, silver_root=root, first=str(FIRST), last=str(LAST), media_ids=(YT, FB)
    )
    return daily, figures


def duck(lake: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    hive = "hive_partitioning = true, hive_types = {'dt': VARCHAR, 'media_id': VARCHAR}"
    for table in ("fact_events", "fact_media_by_date"):
        glob = lake / f"silver/wistia/{table}/dt=*/media_id=*/*.parquet"
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{glob}', {hive})")
    return con


def records(cursor) -> list[dict]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return a == pytest.approx(b, rel=1e-9, abs=1e-12)


def _rows_equal(expected: dict, actual: dict, where: str) -> None:
    for key, value in expected.items():
        assert _close(value, actual[key]), f"{where} {key}: Silver {value}, report {actual[key]}"


def test_media_daily_is_a_query_over_silver(lake, built):
    daily, _ = built
    con = duck(lake)
    expected = records(con.execute(f"""
        SELECT d.dt, d.media_id, d.loads, d.plays,
               CASE WHEN d.loads > 0 THEN d.plays / d.loads END AS play_rate,
               d.hours_watched,
               coalesce(e.sessions, 0) AS sessions,
               coalesce(e.unique_visitors, 0) AS unique_visitors,
               e.mean_percent_viewed, e.watched_25_share, e.watched_50_share,
               e.watched_75_share, e.watched_95_share, e.mobile_share,
               coalesce(e.device_known_sessions, 0) AS device_known_sessions
        FROM (SELECT dt, media_id, sum(load_count) AS loads, sum(play_count) AS plays,
                     sum(hours_watched) AS hours_watched
              FROM fact_media_by_date GROUP BY 1, 2) d
        LEFT JOIN (SELECT dt, media_id, {METRICS_SQL} FROM fact_events GROUP BY 1, 2) e
          USING (dt, media_id)
        ORDER BY dt, media_id
        """))
    gold = records(
        duckdb.connect().execute(
            f"SELECT * FROM read_parquet('{lake}/gold/wistia/media_daily/dt=*/*.parquet', "
            "hive_partitioning = true, hive_types = {'dt': VARCHAR}) ORDER BY dt, media_id"
        )
    )
    assert len(gold) == len(expected) == 13  # 7 days x 2 media, one never built
    for want, got in zip(expected, gold, strict=True):
        _rows_equal(want, got, f"{want['dt']}|{want['media_id']}")
    assert daily.missing == {str(UNBUILT[0]): [FB]}
    quiet = next(r for r in gold if (r["dt"], r["media_id"]) == (str(QUIET[0]), FB))
    assert quiet["sessions"] == 0 and quiet["plays"] == 0 and quiet["loads"] == 0


def test_the_reports_totals_and_breakdowns_are_queries_over_silver(lake, built):
    _, figures = built
    con = duck(lake)
    covered = "NOT (dt = ? AND media_id = ?)"  # the unbuilt day has no Silver anyway
    args = [str(UNBUILT[0]), UNBUILT[1]]
    for media in (YT, FB):
        want = records(
            con.execute(
                f"SELECT {METRICS_SQL} FROM fact_events WHERE media_id = ? AND {covered}",
                [media, *args],
            )
        )[0]
        sums = con.execute(
            "SELECT sum(load_count), sum(play_count), sum(hours_watched), count(*) "
            f"FROM fact_media_by_date WHERE media_id = ? AND {covered}",
            [media, *args],
        ).fetchone()
        want.update(
            loads=sums[0], plays=sums[1], hours_watched=sums[2], days=sums[3],
            play_rate=sums[1] / sums[0],
        )  # fmt: skip
        _rows_equal(want, figures.totals[media], f"totals {media}")

        labels = {
            "country": "coalesce(country, '(unknown)')",
            "region": "coalesce(country, '(unknown)') || ' / ' || coalesce(region, '(unknown)')",
            "browser": "coalesce(browser, '(unknown)')",
            "platform": "coalesce(platform, '(unknown)')",
        }
        for dimension, label in labels.items():
            rows = con.execute(
                f"SELECT {label} AS label, count(*) AS n FROM fact_events WHERE media_id = ? "
                "GROUP BY 1 ORDER BY n DESC, label",
                [media],
            ).fetchall()
            top = [[lb, n] for lb, n in rows[:TOP_LABELS]]
            if len(rows) > TOP_LABELS:
                top.append([OTHER, sum(n for _, n in rows[TOP_LABELS:])])
            assert figures.breakdowns[media][dimension] == top, (media, dimension)
        buckets = con.execute(
            "SELECT CASE WHEN percent_viewed IS NULL THEN '(unknown)' ELSE "
            "CAST(least(floor(percent_viewed * 10), 9) * 10 AS INTEGER) || '-' || "
            "CAST((least(floor(percent_viewed * 10), 9) + 1) * 10 AS INTEGER) || '%' END AS b, "
            "count(*) FROM fact_events WHERE media_id = ? GROUP BY 1 ORDER BY 1",
            [media],
        ).fetchall()
        assert figures.breakdowns[media]["percent_viewed"] == [[b, n] for b, n in buckets]
        devices = con.execute(
            "SELECT CASE WHEN is_mobile THEN 'mobile' WHEN is_mobile IS NOT NULL THEN 'desktop' "
            "ELSE '(unknown)' END AS d, count(*) FROM fact_events WHERE media_id = ? "
            "GROUP BY 1 ORDER BY 1",
            [media],
        ).fetchall()
        assert figures.breakdowns[media]["device"] == [[d, n] for d, n in devices]
    assert any(len(b["country"]) == TOP_LABELS + 1 for b in figures.breakdowns.values())
    assert figures.missing == [[str(UNBUILT[0]), FB]]
    assert [m["title"] for m in figures.media] == ["Teaser YT", "Teaser FB"]


def test_the_report_says_what_the_numbers_say(lake, built):
    _, data = built
    figures = ReportFigures.from_result(data)
    report = render(figures, source="test", generated_at="now")
    con = duck(lake)
    rates = dict(
        con.execute(
            "SELECT media_id, sum(play_count) / sum(load_count) FROM fact_media_by_date "
            "GROUP BY 1"
        ).fetchall()
    )
    sentence = next(s for s in report.sentences if "of its loads" in s)
    ahead, behind = sorted((YT, FB), key=lambda m: -rates[m])
    label = {YT: "YouTube", FB: "Facebook"}
    assert sentence.startswith(f"The {label[ahead]} media was played on ")
    assert format_value(rates[ahead], "share") in sentence
    assert format_value(rates[behind], "share") in sentence
    # Which days it covers, which it lacks, and the quiet day as a zero, not as missing.
    said = coverage(figures)
    assert "6 of 7 days built for every media" in said
    assert f"{UNBUILT[0]} (Facebook)" in said.split("shown as missing:")[1]
    assert f"{QUIET[0]} (Facebook)" in said.split("shown as zero:")[1]
    assert "missing (not built)" in report.html
    html = report.html
    assert html.count("<svg") == 3
    # Self-contained: nothing to fetch, nothing to run.
    for reference in ('src="', 'href="http', "<link", "@import", "url(http", "<script"):
        assert reference not in html, reference
    assert "url(#" in html  # the SVG's own hatch patterns and clip paths, in the file


def test_comparisons_follow_the_numbers_not_a_script():
    """Swap which media is ahead and the sentence swaps with it; equal values say so."""
    base = {
        "first": "2026-11-14",
        "last": "2026-11-14",
        "media": [
            {"media_id": YT, "title": "T YT", "channel": "youtube"},
            {"media_id": FB, "title": "T FB", "channel": "facebook"},
        ],
        "daily": [],
        "missing": [],
        "breakdowns": {},
    }
    from wistia_assets.media_report.sentences import compare

    one = ReportFigures.from_json(
        {**base, "totals": {YT: {"play_rate": 0.41}, FB: {"play_rate": 0.18}}}
    )
    assert compare(one, "play_rate") == (
        "The YouTube media was played on 41 % of its loads; the Facebook media 18 % "
        "(YouTube 23 percentage points higher)."
    )
    two = ReportFigures.from_json(
        {**base, "totals": {YT: {"play_rate": 0.2}, FB: {"play_rate": 0.5}}}
    )
    assert compare(two, "play_rate").startswith("The Facebook media was played on 50 %")
    same = ReportFigures.from_json({**base, "totals": {YT: {"plays": 7}, FB: {"plays": 7}}})
    assert compare(same, "plays").endswith("the YouTube media the same.")
    none = ReportFigures.from_json({**base, "totals": {}})
    assert compare(none, "plays") == "Plays: no data in this range."
