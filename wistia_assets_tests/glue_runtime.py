"""AWS Glue 5.0's job runtime, emulated strictly enough that a job packaged wrongly fails here.

What a Glue 5.0 job gets, and what `GlueRuntime.run` gives the deployed entry script:

- Python 3.11 with pyspark 3.5 and boto3: a fresh virtual environment per run (no system
  site-packages) holding only those distributions and their requirements, linked from this
  interpreter's site-packages. Nothing of the project is importable unless the job installs it.
- `--additional-python-modules`: `s3://` entries are downloaded, and pip-installed into that
  environment with `--python-modules-installer-option`, before the script starts; the driver and
  the executors' Python workers import from it, as on every Glue node. pip runs without this
  machine's configuration and with an index that refuses every connection, so a job that would
  fetch anything from a public index at run time fails its run here. AWS does not document
  whether Glue hands pip the list at once or module by module: `one_by_one=True` (the deployed
  job's tests) installs each module in its own `pip install`, in the listed order, so a wheel
  whose requirement comes later in the list fails as it would on such a node.
- `--extra-py-files`: downloaded, put on the driver's `sys.path` only (never in the environment
  the JVM and its workers inherit) and handed to Spark as py-files, which Spark puts on the
  executors' path for .zip/.egg/.py only, never a .whl.
- The script from the job's ScriptLocation runs in a process of its own (`local[2]` Spark), and
  Spark starts its Python workers as separate processes with the environment's interpreter: a
  UDF whose function is pickled by reference needs its module installed where Glue would put it.
- No region in the environment (stricter than Glue may be): a client that needs one must be given
  one by the job.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

from packaging.markers import default_environment
from packaging.requirements import Requirement

from wistia_assets_tests.conftest import free_port

# What Glue 5.0 provides that the job relies on; everything else must come with the job.
PROVIDED = ("pyspark", "boto3")
# Spark's driver and workers are slow to start on a busy 2-core machine; a run is ~30 s.
RUN_TIMEOUT_SECONDS = 600

_BOOT = """\
import runpy, sys
script, extra = sys.argv[1], [p for p in sys.argv[2].split(",") if p]
sys.path[0:1] = [__import__("os").path.dirname(script), *extra]
sys.argv = [script, *sys.argv[3:]]
runpy.run_path(script, run_name="__main__")
"""


class GlueRunFailed(RuntimeError):
    """The job run failed; the message is what Glue would show as the run's ErrorMessage."""


def provided_distributions() -> list[metadata.Distribution]:
    """PROVIDED and everything they require (markers evaluated for this interpreter)."""
    env = default_environment()
    seen: dict[str, metadata.Distribution] = {}
    queue = list(PROVIDED)
    while queue:
        name = queue.pop()
        dist = metadata.distribution(name)
        key = dist.metadata["Name"].lower().replace("_", "-")
        if key in seen:
            continue
        seen[key] = dist
        for raw in dist.requires or ():
            req = Requirement(raw)
            if req.marker is None or req.marker.evaluate({**env, "extra": ""}):
                queue.append(req.name)
    return list(seen.values())


def _top_level_entries(dist: metadata.Distribution) -> set[str]:
    """The site-packages entries (packages, modules, dist-info) a distribution installed."""
    return {
        Path(str(f)).parts[0]
        for f in dist.files or ()
        if not str(f).startswith("..") and Path(str(f)).parts
    }


def _error_line(stderr: str) -> str:
    """The last line that names an exception or an error, as Glue reports a failed run."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in reversed(lines):
        head = line.split(":", 1)[0]
        if head.endswith(("Error", "Exception", "Failed", "NotIngested")) or line.startswith(
            "ERROR:"
        ):
            return line
    return lines[-1] if lines else "no output"


class GlueRuntime:
    """Creates one fresh Glue 'node' (a virtual environment) per run under `root`."""

    def __init__(self, root: Path, *, one_by_one: bool = False):
        self.root = Path(root)
        self.one_by_one = one_by_one
        self.root.mkdir(parents=True, exist_ok=True)
        self.distributions = provided_distributions()
        pyspark = metadata.version("pyspark")
        if sys.version_info[:2] != (3, 11) or not pyspark.startswith("3.5."):
            raise RuntimeError(
                f"Glue 5.0 is Python 3.11 + pyspark 3.5; this is Python "
                f"{sys.version_info[0]}.{sys.version_info[1]} + pyspark {pyspark}"
            )

    def new_node(self) -> Path:
        node = Path(tempfile.mkdtemp(prefix="node-", dir=self.root))
        subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
            [sys.executable, "-m", "venv", "--clear", "--without-pip", str(node)], check=True
        )
        (site,) = (node / "lib").glob("python3.*/site-packages")
        for dist in self.distributions:
            base = Path(str(dist.locate_file("")))
            for entry in _top_level_entries(dist):
                if (base / entry).exists() and not (site / entry).exists():
                    (site / entry).symlink_to(base / entry)
        return node

    def run(self, script_uri: str, argv: list[str], s3, endpoint_url: str) -> str:
        """Run one job: install its modules, then the script with `argv`; returns the driver's
        output. Raises GlueRunFailed with the error Glue would report."""
        node = self.new_node()
        python = node / "bin" / "python"
        args = dict(zip(argv[::2], argv[1::2], strict=False))
        downloads = node / "downloads"
        downloads.mkdir()

        def fetch(uri: str) -> str:
            if not uri.startswith("s3://"):
                return uri
            parts = urlsplit(uri)
            target = downloads / Path(parts.path).name
            s3.download_file(parts.netloc, parts.path.lstrip("/"), str(target))
            return str(target)

        modules = [m.strip() for m in args.get("--additional-python-modules", "").split(",")]
        modules = [fetch(m) for m in modules if m]
        if modules:
            self._pip_install(python, modules, args.get("--python-modules-installer-option", ""))
        extra = [e.strip() for e in args.get("--extra-py-files", "").split(",") if e.strip()]
        extra = [fetch(e) for e in extra]
        script = fetch(script_uri)
        return self._run_script(node, python, script, extra, argv, endpoint_url)

    def _pip_install(self, python: Path, modules: list[str], options: str) -> None:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(python.parent.parent),
            # Nothing of this machine's pip setup (find-links, mirrors, constraints, cache), and
            # an index that refuses connections: what an index would have supplied is missing.
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_INDEX_URL": f"http://127.0.0.1:{free_port()}/simple",
            "PIP_NO_CACHE_DIR": "1",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        }
        for batch in [[m] for m in modules] if self.one_by_one else [modules]:
            done = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
                [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-input"]
                + ["--retries", "0", "--timeout", "5", *shlex.split(options), *batch],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise GlueRunFailed(
                    f"installing --additional-python-modules failed ({Path(batch[0]).name}"
                    f"{' and the rest' if len(batch) > 1 else ''}): " + _error_line(done.stderr)
                )

    def _run_script(
        self,
        node: Path,
        python: Path,
        script: str,
        extra: list[str],
        argv: list[str],
        endpoint_url: str,
    ) -> str:
        submit = [
            "--master local[2]",
            "--conf spark.ui.enabled=false",
            "--conf spark.ui.showConsoleProgress=false",
            "--conf spark.driver.host=127.0.0.1",
            "--conf spark.driver.bindAddress=127.0.0.1",
            "--conf spark.sql.shuffle.partitions=4",
        ]
        if extra:
            submit.append("--py-files " + ",".join(extra))
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(node),
            "LANG": "C.UTF-8",
            "SPARK_LOCAL_IP": "127.0.0.1",
            "PYSPARK_PYTHON": str(python),
            "PYSPARK_DRIVER_PYTHON": str(python),
            "PYSPARK_SUBMIT_ARGS": " ".join([*submit, "pyspark-shell"]),
            "PYTHONDONTWRITEBYTECODE": "1",
            "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
            "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
        if os.environ.get("JAVA_HOME"):
            env["JAVA_HOME"] = os.environ["JAVA_HOME"]
        try:
            done = subprocess.run(  # noqa: S603 - the node's interpreter, fixed arguments
                [str(python), "-c", _BOOT, script, ",".join(extra), *argv],
                cwd=node,
                env=env,
                capture_output=True,
                text=True,
                check=False,
                timeout=RUN_TIMEOUT_SECONDS,
            )
        except subprocess.TimeoutExpired:
            raise GlueRunFailed(f"the job ran longer than {RUN_TIMEOUT_SECONDS} s") from None
        (node / "driver.log").write_text(done.stdout + done.stderr)
        if done.returncode != 0:
            raise GlueRunFailed(_error_line(done.stderr))
        return done.stdout + done.stderr

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
