"""A Silver build of a real account's day starts few Spark jobs (issue 18).

Each Spark job costs ~0.1 s of scheduling however small the day, and a day of two media is a
few hundred events: the jobs, not the data, were the time of `make run`. A build asks its
questions of one cached frame in one query, writes once, and reads the written file back for
the preview and the scan: `fact_events` 4 jobs (it was 14), `fact_media_by_date` 3 (it was 9),
and one more when the day has lines to quarantine (the quarantine file is a write of its own);
`dim_media` 4 (it was 16, then 8), the media report's figures 4.
A count, not a timing: a setting or a change that splits a query into jobs again fails here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date, timedelta

import pytest

from benchmarks.bronze_days import write_bronze_days
from benchmarks.spark_jobs import JobCounter
from wistia_assets.transforms.runner import run_partition
from wistia_assets.transforms.session import C1_ONLY, CLASS_ARCHIVE, LOCAL_FS_JAR, SHORT_JVM_NAMES

MOST_JOBS = {"fact_events": 4, "fact_media_by_date": 3}


def build_day(spark, day, table: str):
    """Build `table` for a Bronze day of `write_bronze_days`, in that day's lake."""
    return run_partition(
        spark,
        table=table,
        dt=day.dt,
        media_id=day.media_id,
        bronze_root=day.uri,
        silver_root=day.uri,
        hash_key=b"test-key" if table == "fact_events" else None,
    )


def test_a_days_build_runs_at_most_four_spark_jobs_per_table(spark, tmp_path):
    lake = tmp_path / "lake"
    first = date(2026, 10, 5)
    # The second day has a built neighbour: the fact_events build also reads its keys.
    days = write_bronze_days(
        lake, "150-400", (first, first + timedelta(days=1)), media_by_date=True
    )
    jobs: dict[str, list[int]] = {table: [] for table in MOST_JOBS}
    neighbours, quarantined = [], []
    for day in days:
        for table in MOST_JOBS:
            counter = JobCounter(spark)
            with counter.group():
                result = build_day(spark, day, table)
            assert result.rows > 0
            # The quarantine write is the one job a day's data can add.
            jobs[table].append(counter.jobs() - (1 if result.quarantined else 0))
            if table == "fact_events":
                neighbours.append(result.neighbours_checked)
                quarantined.append(result.quarantined)
    # Both plans of fact_events were counted, and both with and without a quarantine.
    assert neighbours == [False, True]
    assert quarantined[0] > 0 and quarantined[1] == 0
    for table, most in MOST_JOBS.items():
        assert all(0 < n <= most for n in jobs[table]), (table, jobs[table])


def test_a_batch_of_days_runs_as_few_spark_jobs_as_one_day(spark, tmp_path):
    """Several windows of a table built together (`run_partitions`, a `run` of several days)
    share every job: as many as one day's build. (A key the API sent on two adjacent days of
    the batch adds two, and only then: `test_silver_batch_builds.py`.) Two rounds: the second
    has every neighbour built already."""
    from wistia_assets.transforms.runner import run_partitions

    first = date(2026, 10, 5)
    days = write_bronze_days(
        tmp_path / "lake",
        "150-400",
        tuple(first + timedelta(days=n) for n in range(5)),
        media_by_date=True,
    )
    uri = days[0].uri
    windows = [(day.dt, day.media_id) for day in days]
    most = {"fact_events": MOST_JOBS["fact_events"], "fact_media_by_date": 3}
    for _round in range(2):
        for table in ("fact_media_by_date", "fact_events"):
            counter = JobCounter(spark)
            with counter.group():
                results = run_partitions(
                    spark,
                    table=table,
                    windows=windows,
                    bronze_root=uri,
                    silver_root=uri,
                    hash_key=b"test-key" if table == "fact_events" else None,
                )
            assert len(results) == 5 and all(r.rows > 0 for r in results)
            quarantine_write = 1 if any(r.quarantined for r in results) else 0
            assert 0 < counter.jobs() - quarantine_write <= most[table], (table, counter.jobs())


def test_a_dim_media_refresh_runs_at_most_four_spark_jobs(spark, tmp_path):
    # dim_media holds one row per media: it is counted, listed and previewed from one collect,
    # and the previous table is read with its declared schema (no footer-reading job). It was 8.
    from wistia_assets.storage.objects import LocalStore
    from wistia_assets.transforms.runner import run_dim_media
    from wistia_assets_tests.support.transforms import MEDIA_A, MEDIA_B, write_snapshot

    write_snapshot(tmp_path, MEDIA_A, "20261119T020000000000Z", "media_e4a27b971d_old.json")
    b_key = write_snapshot(tmp_path, MEDIA_B, "20261119T020000000000Z", "media_abc123def4.json")
    uri = f"file://{tmp_path}"
    jobs = []
    for step in ("first", "upsert"):
        if step == "upsert":  # a newer snapshot of A, B's aged out: the previous table is read
            write_snapshot(
                tmp_path, MEDIA_A, "20261121T020000000000Z", "media_e4a27b971d_newer.json"
            )
            LocalStore(tmp_path).delete_keys([b_key])
        counter = JobCounter(spark)
        with counter.group():
            result = run_dim_media(spark, bronze_root=uri, silver_root=uri, channels={})
        assert result.rows == 2
        jobs.append(counter.jobs())
    assert all(0 < n <= 4 for n in jobs), jobs


def test_the_media_reports_figures_take_four_spark_jobs(spark, tmp_path):
    # Gold days, range totals, breakdowns and dim_media's titles: one collect each, sorted in
    # Python (a sort in Spark samples in a job of its own) and read with declared schemas.
    from wistia_assets.transforms.gold_runner import run_media_daily, run_report_figures

    lake = tmp_path / "lake"
    first = date(2026, 10, 5)
    days = write_bronze_days(
        lake, "100-150", (first, first + timedelta(days=1)), media_by_date=True
    )
    for day in days:
        for table in MOST_JOBS:
            build_day(spark, day, table)
    span = {"silver_root": days[0].uri, "first": days[0].dt, "last": days[1].dt}
    media = (days[0].media_id,)
    assert run_media_daily(spark, **span, media_ids=media).rows == 2
    counter = JobCounter(spark)
    with counter.group():
        figures = run_report_figures(spark, **span, media_ids=media)
    assert [row["dt"] for row in figures.daily] == [days[0].dt, days[1].dt]
    assert 0 < counter.jobs() <= 4, counter.jobs()


def test_later_days_reuse_the_code_spark_compiled_for_the_first(spark, tmp_path):
    # Spark compiles Java for each query; a date or timestamp literal is written into that code,
    # a text literal is not. With the day compared as a date, every day's plans were new code
    # (8 classes a window, ~0.2 s with their JIT); as text, a day whose build has the same
    # shape as an earlier one (neighbours built, a quarantine or none) compiles nothing.
    lake = tmp_path / "lake"
    # Days no other test builds: the session (shared) has compiled no code of their dates.
    first = date(2025, 3, 10)
    days = write_bronze_days(
        lake, "150-300", tuple(first + timedelta(days=i) for i in range(4)), media_by_date=True
    )
    compilations = spark._jvm.org.apache.spark.metrics.source.CodegenMetrics
    compiled = []
    for day in days:
        before = compilations.METRIC_COMPILATION_TIME().getCount()
        for table in MOST_JOBS:
            build_day(spark, day, table)
        compiled.append(compilations.METRIC_COMPILATION_TIME().getCount() - before)
    # The first days compile the plans with and without neighbours (unless earlier tests of the
    # session did); then one of days 3 and 4 (the shape of day 2) compiles nothing. With the day
    # compiled in, each compiled 8 classes or more.
    assert min(compiled[2:]) == 0, compiled


def test_a_build_asks_the_jvm_for_no_class_by_its_short_name(spark, tmp_path, monkeypatch):
    # Each short-name lookup (PySpark's `F.*` asks for `functions`) misses through the ~250 jars
    # of the class path before it finds the class: ~0.4 ms, hundreds of times a build; then it
    # asks the class for the method (0.3 ms). The session keeps the classes and their methods
    # (`session.keep_jvm_classes`); a PySpark upgrade that looks up a new short name shows here.
    from py4j import protocol
    from py4j.java_gateway import GatewayClient, JVMView

    lake = tmp_path / "lake"
    (day,) = write_bronze_days(lake, "150-200", (date(2026, 10, 5),), media_by_date=True)

    for table in MOST_JOBS:  # the session is configured, its classes and methods kept
        build_day(spark, day, table)
    looked_up: list[str] = []
    members: list[str] = []
    send = GatewayClient.send_command
    unknown = protocol.REFLECTION_COMMAND_NAME + protocol.REFL_GET_UNKNOWN_SUB_COMMAND_NAME
    member = protocol.REFLECTION_COMMAND_NAME + protocol.REFL_GET_MEMBER_SUB_COMMAND_NAME

    def recording(self, command, *args, **kwargs):
        if command.startswith(unknown):
            looked_up.append(command[len(unknown) :].split("\n", 1)[0])
        if command.startswith(member):
            members.append(".".join(command[len(member) :].split("\n")[:2]))
        return send(self, command, *args, **kwargs)

    monkeypatch.setattr(GatewayClient, "send_command", recording)
    for table in MOST_JOBS:
        assert build_day(spark, day, table).rows > 0
    monkeypatch.undo()
    # Not even the full names PySpark walks a package at a time (`jvm.org.apache...`).
    assert looked_up == [], sorted(set(looked_up))
    # The second build of the day asks the JVM for no method of a kept class (`F.col`, ...);
    # fields are asked every time (`SparkSession$.MODULE$`: a field's value is not kept).
    kept = tuple(f"{full}." for full in SHORT_JVM_NAMES.values())
    asked = [m for m in members if m.startswith(kept) and not m.endswith(".MODULE$")]
    assert asked == [], sorted(set(asked))
    # Each kept class is the one Py4J finds under the short name (asked of the JVM itself).
    for name, full in SHORT_JVM_NAMES.items():
        assert JVMView.__getattr__(spark._jvm, name)._fqn == full


def test_the_local_driver_jvm_compiles_with_c1_only(spark):
    # A local session's default (see session.MANY_BUILDS for when a run chooses otherwise). The
    # option reaches the JVM only when the session starts it: a conf set later, or one the
    # launcher drops, would leave C2 recompiling every partition's generated code.
    runtime = spark._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean()
    assert C1_ONLY in list(runtime.getInputArguments())


@pytest.mark.spark
def test_a_local_session_maps_spark_from_the_class_archive(tmp_path):
    """`make` writes the archive (scripts/spark_class_archive.py) and a local session's JVM maps
    Spark's classes from it instead of reading them from the jars. A stale archive would be
    ignored in silence: this is where it shows."""
    assert CLASS_ARCHIVE.is_file(), f"{CLASS_ARCHIVE} is missing: make writes it"
    log = tmp_path / "class-load.log"
    code = (
        "from wistia_assets.transforms.session import local_spark_session; "
        f"local_spark_session(jvm_options=('-Xlog:class+load=info:file={log}',)).range(3).count()"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=600, capture_output=True)
    loaded = log.read_text()
    shared = re.findall(
        r"(org\.apache\.spark\.sql\.\S+) source: shared objects file \(top\)", loaded
    )
    from_jars = re.findall(r"(org\.apache\.spark\.sql\.\S+) source: (?:jar|file):", loaded)
    assert len(shared) > 1000 and len(shared) > 10 * len(from_jars), (len(shared), len(from_jars))


def test_a_days_build_starts_no_process_and_writes_the_usual_permissions(spark, tmp_path):
    """Hadoop's local file system started a `chmod` process for every folder and file a write
    creates (~13 a table build, ~3 ms each); the compiled one `make` puts on the local session's
    class path (scripts/local_fs_jar.py) sets the same permissions in the JVM. The JVM's own
    flight recorder counts the processes it starts."""
    assert LOCAL_FS_JAR.is_file(), f"{LOCAL_FS_JAR} is missing: make writes it"
    (day,) = write_bronze_days(tmp_path / "lake", "150-300", (date(2026, 10, 5),))
    # The first build may start the session's Python worker daemon (UDFs), once; the rebuild
    # replaces the partition, as a `rerun` does.
    build_day(spark, day, "fact_events")
    jvm = spark.sparkContext._jvm
    recording = jvm.jdk.jfr.Recording()
    recording.enable("jdk.ProcessStart")
    recording.start()
    try:
        result = build_day(spark, day, "fact_events")
    finally:
        recording.stop()
    dump = jvm.java.io.File(str(tmp_path / "processes.jfr")).toPath()
    recording.dump(dump)
    recording.close()
    started = [
        e.getString("command") for e in jvm.jdk.jfr.consumer.RecordingFile.readAllEvents(dump)
    ]
    assert result.rows > 0
    assert started == [], f"a build started {len(started)} processes, e.g. {started[:2]}"
    partition = day.lake / f"silver/wistia/fact_events/dt={day.dt}/media_id={day.media_id}"
    files = [p for p in partition.iterdir() if p.is_file()]
    assert files
    assert {oct(p.stat().st_mode & 0o777) for p in files} == {oct(0o644)}
    assert {oct(p.stat().st_mode & 0o777) for p in (partition, partition.parent)} == {oct(0o755)}
