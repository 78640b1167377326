"""The Spark session: configured like Glue 5.0 where it matters to the Silver writes.

`SILVER_SPARK_CONF` holds the SQL settings the transforms rely on. They are all runtime settings,
so `configure_silver_session` applies them to any session (the Glue job's `getOrCreate()` one
included); the runner calls it before every transform, so no caller has to remember.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from pathlib import Path

from py4j.java_gateway import JavaClass, JavaMember, JavaPackage
from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

# Spark's local master runs this many task threads (the machines it is made for have two cores).
LOCAL_CORES = 2
# The driver JVM's just-in-time compilers, chosen by how many Silver steps the process will run
# (a step builds one window, or a range of windows in the same Spark jobs; docs/BENCHMARKS.md,
# "The driver JVM"; `python -m benchmarks.spark_jvm`). With the client compiler only (C1) a
# session starts and runs its first step ~3.8 s sooner, because the optimizing compiler (C2) is
# not busy recompiling Spark and every partition's generated code; but C1's code runs each later
# window's step ~0.6 s slower. It pays in a process that runs few steps (a `dagster dev` run,
# `rerun`, `erase`, `run --days 7`: one range since stop 29); from MANY_BUILDS steps on, where
# the two meet, the JVM keeps both (its default).
C1_ONLY = "-XX:TieredStopAtLevel=1"
MANY_BUILDS = 7
# The class-data-sharing archive `make` writes after installing (scripts/spark_class_archive.py):
# the classes a Silver build loads, parsed and verified once, mapped by every later JVM start.
CLASS_ARCHIVE = Path(sys.prefix) / "spark-classes.jsa"
# A stale archive (another JDK, other jars) is ignored by the JVM: without these it says so on
# stderr at every start.
QUIET_ARCHIVE = ("-Xlog:cds=off", "-Xlog:cds+dynamic=off")
# Hadoop's local file system, without the native library pyspark does not ship, starts a `chmod`
# process for every folder and file a write creates (~27 a window, ~3 ms each). `make` compiles a
# subclass that sets the same permissions through java.nio (scripts/local_fs_jar.py), and trains
# the class archive with it on the class path; used when present, for file:// paths only.
LOCAL_FS_JAR = Path(sys.prefix) / "wistia-local-fs.jar"
LOCAL_FS_CLASS = "wistia_assets.hadoop.NoForkLocalFileSystem"


def local_jvm_options(extra: tuple[str, ...] = (), *, many_builds: bool = False) -> str:
    """The driver JVM's options: C1 only unless `many_builds`, the class archive when there is
    one, then `extra` (an `-XX:ArchiveClassesAtExit` of its own replaces the archive: the two
    cannot combine)."""
    options = [] if many_builds else [C1_ONLY]
    writes_archive = any(o.startswith("-XX:ArchiveClassesAtExit") for o in extra)
    if CLASS_ARCHIVE.is_file() and not writes_archive:
        options += [f"-XX:SharedArchiveFile={CLASS_ARCHIVE}", *QUIET_ARCHIVE]
    return " ".join([*options, *extra])


def jvm_options_for(steps: int) -> str:
    """The driver JVM's options for a process that runs `steps` Silver steps (`MANY_BUILDS`)."""
    return local_jvm_options(many_builds=steps >= MANY_BUILDS)


def local_file_system() -> dict[str, str]:
    """The local session's settings for the compiled file system, when `make` wrote its jar."""
    if not LOCAL_FS_JAR.is_file():
        return {}
    return {
        # On the JVM's own class path, where Hadoop looks the class up (not `spark.jars`).
        "spark.driver.extraClassPath": str(LOCAL_FS_JAR),
        "spark.hadoop.fs.file.impl": LOCAL_FS_CLASS,
    }


# Settings the transforms rely on, applied to the local session and to the Glue job alike.
SILVER_SPARK_CONF = {
    # Re-running a partition replaces exactly that partition, nothing else.
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    # Partition values stay strings ('2026-11-20', media ids that look numeric).
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    # A junk `received_at` must become null (quarantine), not an "ambiguous legacy date" error.
    "spark.sql.legacy.timeParserPolicy": "CORRECTED",
    # Explicit try_* conversions decide what is invalid; ANSI mode would fail the whole day on
    # the first odd value instead.
    "spark.sql.ansi.enabled": "false",
}


# The JVM classes PySpark 3.5 looks up by their short name on every call: each `F.*` function
# asks the JVM for `functions`, a DataFrame's columns for `PythonUtils`, ... Py4J tries a short
# name as a class of the default package, then under each of PySpark's star imports, and every
# miss searches the ~250 jars of the class path: `functions` costs 0.4 ms, and a window's two
# builds look it up ~500 times. Spark 4.0 looks them up by their full names (SPARK-48475); here
# each is looked up once and kept on the JVM view, where Python finds it before it would ask.
SHORT_JVM_NAMES = {
    "functions": "org.apache.spark.sql.functions",
    "PythonUtils": "org.apache.spark.api.python.PythonUtils",
    "PythonSQLUtils": "org.apache.spark.sql.api.python.PythonSQLUtils",
    "SparkSession": "org.apache.spark.sql.SparkSession",
    "SparkSession$": "org.apache.spark.sql.SparkSession$",
    "Column": "org.apache.spark.sql.Column",
    "SerDeUtil": "org.apache.spark.api.python.SerDeUtil",
    "SimplePythonFunction": "org.apache.spark.api.python.SimplePythonFunction",
}


# A JVM class whose static methods are asked of the JVM once: Py4J asks again on every attribute
# access (`F.col` asks `functions` for `col`, 0.3 ms), ~600 times a window. Only methods are kept:
# a field's value may change. (Py4J memoizes these since its PR #596, not in the 0.10.9 releases
# PySpark 3.5 requires.) The suppression: every class has a `__doc__`, JavaClass's is a property.
class KeptMethods(JavaClass):  # pyright: ignore[reportIncompatibleMethodOverride]
    def __getattr__(self, name: str):
        member = super().__getattr__(name)
        if isinstance(member, JavaMember):
            self.__dict__[name] = member
        return member


# A JVM package whose subpackages and classes are asked of the JVM once. PySpark walks some
# classes a package at a time (`jvm.org.apache.spark.sql.expressions.Window` for every window
# spec, a UDF's and a storage level's classes): each step is a class lookup that misses through
# the class path first, `org` under every star import too (~1 ms, ~20 walks a window).
class KeptPackage(JavaPackage):
    def __getattr__(self, name: str):
        found = super().__getattr__(name)
        if isinstance(found, JavaPackage):
            found = KeptPackage(found._fqn, found._gateway_client, found._jvm_id)
        elif isinstance(found, JavaClass):
            found = KeptMethods(found._fqn, found._gateway_client)
        else:
            return found
        self.__dict__[name] = found
        return found


def keep_jvm_classes(spark: SparkSession) -> None:
    """Resolve `SHORT_JVM_NAMES` once for the session's JVM view (the same classes Py4J would
    find under the short names), each keeping its methods, and keep the `org` package tree."""
    view = spark.sparkContext._jvm
    if view is None:
        return
    for short, full in SHORT_JVM_NAMES.items():
        if short not in vars(view):
            found = getattr(view, full)  # raises when the class is not there
            vars(view)[short] = KeptMethods(found._fqn, found._gateway_client)
    if "org" not in vars(view):
        vars(view)["org"] = KeptPackage("org", view._gateway_client, jvm_id=view._id)


def configure_silver_session(spark: SparkSession) -> SparkSession:
    """Apply `SILVER_SPARK_CONF` to an existing session (local or Glue); returns it."""
    for key, value in SILVER_SPARK_CONF.items():
        spark.conf.set(key, value)
    keep_jvm_classes(spark)
    return spark


def local_spark_conf(
    app_name: str = "wistia_assets",
    shuffle_partitions: int = LOCAL_CORES,
    driver_memory: str = "2g",
    jvm_options: tuple[str, ...] = (),
) -> dict[str, str]:
    """The whole configuration of a local session: loopback only, no UI, small shuffles.

    Also exports the two environment variables a local session needs before it starts.
    """
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # Python workers (UDFs) must run this interpreter, which has wistia_assets installed; the
    # default `python3` on PATH may not.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return {
        "spark.master": f"local[{LOCAL_CORES}]",
        "spark.app.name": app_name,
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.driver.host": "127.0.0.1",
        # A day of one media is hundreds to thousands of rows: 200 shuffle tasks would be pure
        # overhead; one per local core keeps both busy on a big day.
        "spark.sql.shuffle.partitions": str(shuffle_partitions),
        # Adaptive execution runs every shuffle stage of a query as a Spark job of its own (to
        # re-plan between them). Each job costs ~0.1 s of scheduling, which for a real day's few
        # hundred events is most of a build: with it off, a query is one job whatever its
        # shuffles (fact_events 14 -> 4 jobs). What it re-plans (coalescing shuffle partitions,
        # skew, join strategy) has nothing to gain at `shuffle_partitions` on local cores.
        # Glue keeps its own default (on): its jobs are few against a run's start-up.
        "spark.sql.adaptive.enabled": "false",
        # One local session serves every partition of a run (`make run`: 14 x both facts), and
        # each partition's plans are the same code with other literals. Spark caches compiled
        # code in 100 entries split into 4 LRU segments: the classes of one partition's two
        # tables evict each other, and every partition would recompile them all (the cost:
        # docs/BENCHMARKS.md, "Where a small partition's time goes"). Static: only a session
        # start can set it.
        "spark.sql.codegen.cache.maxEntries": "1000",
        # Settings.spark_driver_memory (WISTIA_SPARK_DRIVER_MEMORY).
        "spark.driver.memory": driver_memory,
        # C1 only and the class archive (see C1_ONLY, CLASS_ARCHIVE above); a CLI run of many
        # steps starts its session with both compilers (`LocalSparkEngine.for_silver_steps`). Glue's
        # JVM is its own and keeps its defaults. Static: only a session start can set it.
        "spark.driver.extraJavaOptions": local_jvm_options(jvm_options),
        **local_file_system(),
        **SILVER_SPARK_CONF,
    }


def local_session_conf(driver_memory: str, steps: int = 1) -> dict[str, str]:
    """The local deployment's session for a process that runs `steps` Silver steps (the one
    `LocalSparkEngine.for_silver_steps` asks for)."""
    return {
        **local_spark_conf(driver_memory=driver_memory),
        "spark.driver.extraJavaOptions": jvm_options_for(steps),
    }


# How often `EarlyStart.launched` looks (the JVM takes ~0.5-1 s to answer its gateway).
LAUNCH_POLL_SECONDS = 0.01


class EarlyStart:
    """The process's local session started on a thread, so the JVM boots (~2 s) on the other
    core while the caller imports Dagster, builds its definitions and pulls Bronze; with
    `warm`, the thread then runs the Silver builds once on made-up days (`warm_up.py`), so the
    first real build is not the JVM's first. `launched()` before anything captures this
    process's output (a Dagster run): the JVM inherits the descriptors it starts with, and once
    it runs, the rest of the start (the SparkContext, ~1-2 s) is calls into it. `wait()` for the
    whole start (and warm-up) before the first Silver build. A failed start is left to the
    engine, which starts the session again and reports why in its step; a failed warm-up only
    leaves the first build cold."""

    def __init__(self, config: dict[str, str], *, warm: bool = False):
        self._thread = threading.Thread(
            target=self._start, args=(config, warm), name="spark-early-start", daemon=True
        )
        self._thread.start()

    @staticmethod
    def _start(config: dict[str, str], warm: bool) -> None:
        from pyspark import SparkContext

        # A session this process already made has run builds: nothing left to warm up.
        fresh = SparkContext._active_spark_context is None  # noqa: SLF001
        try:
            spark = start_session(config)
        except Exception:  # noqa: BLE001 - the engine's own start reports it, in its step
            return
        if not (warm and fresh):
            return
        from wistia_assets.transforms.warm_up import warm_up

        try:
            warm_up(spark)
        except Exception:  # noqa: BLE001 - the real build, cold, reports its own trouble
            log.debug("the Silver warm-up failed; the first build runs cold", exc_info=True)

    def wait(self) -> None:
        self._thread.join()

    def launched(self) -> None:
        """Return once the JVM process runs (pyspark holds its gateway) or the start ended."""
        from pyspark import SparkContext

        while self._thread.is_alive() and SparkContext._gateway is None:  # noqa: SLF001
            self._thread.join(LAUNCH_POLL_SECONDS)


def session_builder() -> SparkSession.Builder:
    """`SparkSession.builder`, typed: pyspark makes it a `classproperty`, which its own
    annotations leave unresolved for a type checker (the Glue job and the local session)."""
    return SparkSession.builder  # pyright: ignore[reportReturnType]  # pyspark's classproperty


def local_spark_session(
    app_name: str = "wistia_assets",
    shuffle_partitions: int = LOCAL_CORES,
    jvm_options: tuple[str, ...] = (),
) -> SparkSession:
    """Build (or reuse, within this process) a loopback-only local session with no UI, sized by
    `WISTIA_SPARK_DRIVER_MEMORY` (tests and benchmarks; the local deployment's session is
    configured from Settings in `deployments.py`)."""
    from wistia_assets.settings import spark_driver_memory

    return start_session(
        local_spark_conf(app_name, shuffle_partitions, spark_driver_memory(), jvm_options)
    )


def start_session(config: dict[str, str]) -> SparkSession:
    """The process's session with `config` (started now, or the one already running)."""
    builder = session_builder()
    for key, value in config.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
