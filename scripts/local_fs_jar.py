"""Compile the local Spark driver's file system (`scripts/java/NoForkLocalFileSystem.java`) into
a jar; `scripts/spark_class_archive.py` runs it first, so the class archive is trained on the
class path every local session then has.

Without Hadoop's native library (pyspark ships none) Hadoop's local file system starts a `chmod`
process for every folder and file a Spark write creates: ~13 for each Silver partition, ~27 a
window, ~3 ms each (docs/BENCHMARKS.md, "Where a warm window's time went ... (stop 28)"). The
compiled subclass sets the same permissions through java.nio. `transforms/session.py` uses the
jar when it exists.
Without `javac` (a Java runtime without the compiler) nothing is written, and local Spark keeps
Hadoop's own file system.

    .venv/bin/python scripts/local_fs_jar.py .venv/wistia-local-fs.jar
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

SOURCE = Path(__file__).resolve().parent / "java" / "NoForkLocalFileSystem.java"
MANIFEST = "Manifest-Version: 1.0\nCreated-By: scripts/local_fs_jar.py\n\n"


def hadoop_api_jar() -> Path:
    import pyspark

    (jar,) = (Path(pyspark.__file__).parent / "jars").glob("hadoop-client-api-*.jar")
    return jar


def build(target: Path) -> bool:
    """Write the jar at `target` (atomically); False, with a note, when there is no `javac`."""
    javac = shutil.which("javac")
    if javac is None:
        print(
            "note: no javac (JDK 17): local Spark keeps Hadoop's file system, which starts a "
            "chmod process for each file it writes",
            file=sys.stderr,
        )
        return False
    target = target.resolve()
    partial = target.with_name(f".{target.name}.{os.getpid()}")
    with tempfile.TemporaryDirectory() as classes:
        subprocess.run(  # noqa: S603 - the JDK's compiler on this project's source
            [javac, "--release", "17", "-nowarn", "-cp", str(hadoop_api_jar())]
            + ["-d", classes, str(SOURCE)],
            check=True,
        )
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as jar:
            jar.writestr("META-INF/MANIFEST.MF", MANIFEST)
            for compiled in sorted(Path(classes).rglob("*.class")):
                jar.write(compiled, compiled.relative_to(classes).as_posix())
    partial.replace(target)
    return True


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: local_fs_jar.py TARGET.jar")
    build(Path(sys.argv[1]))
