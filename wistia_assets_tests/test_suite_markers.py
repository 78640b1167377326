"""The suite's own wiring: a test is marked by the fixtures it uses, so `make test`'s fast phase
(`-m "not spark and not slow"`) never starts Spark, whoever wrote the test and whatever they
forgot to mark."""

from __future__ import annotations

import ast
import functools
import itertools
import shlex
import subprocess
import tomllib
from pathlib import Path

from _pytest.mark.expression import Expression

pytest_plugins = ["pytester"]

USERS = """
import pytest


@pytest.fixture
def built_day(spark):
    return spark


def test_uses_spark(spark):
    pass


def test_uses_spark_through_another_fixture(built_day):
    pass


@pytest.mark.spark
def test_marked_by_hand_and_uses_spark(spark):
    pass


def test_plain():
    pass
"""


def collected(pytester, *args: str) -> set[str]:
    pytester.makepyfile(test_users=USERS)
    # This suite's conftest as a plugin: its hook, its fixtures (collected only, never run).
    result = pytester.runpytest_inprocess(
        "-p", "wistia_assets_tests.conftest", "--collect-only", "-q", *args
    )
    return {line.split("::")[1] for line in result.outlines if "::" in line}


def test_a_test_using_the_spark_fixture_is_marked_spark(pytester):
    spark = {
        "test_uses_spark",
        "test_uses_spark_through_another_fixture",
        "test_marked_by_hand_and_uses_spark",
    }
    assert collected(pytester, "-m", "spark") == spark, "a Spark user is missing the spark mark"
    assert collected(pytester, "-m", "not spark") == {
        "test_plain"
    }, "a Spark user would run in the fast phase of make test"


def test_make_test_runs_what_plain_pytest_runs_each_test_once_fast_first():
    # `-m` on the command line replaces addopts' `-m`: the phases must repeat its exclusions.
    root = Path(__file__).resolve().parents[1]
    with open(root / "pyproject.toml", "rb") as f:
        config = tomllib.load(f)["tool"]["pytest"]["ini_options"]
    addopts = shlex.split(config["addopts"])
    default = Expression.compile(addopts[addopts.index("-m") + 1])
    dry_run = subprocess.run(
        ["make", "-n", "test"], cwd=root, capture_output=True, text=True, check=True
    ).stdout
    phases = [
        Expression.compile(args[args.index("-m") + 1])
        for args in (shlex.split(line) for line in dry_run.splitlines() if "pytest -m" in line)
        if args[0].endswith("/pytest")
    ]
    assert len(phases) == 2, f"make test should run pytest twice (fast, then slow):\n{dry_run}"
    fast, slow = phases
    marks = [m.split(":")[0] for m in config["markers"]]
    for combination in itertools.product([False, True], repeat=len(marks)):
        has = dict(zip(marks, combination, strict=True))
        matcher = functools.partial(dict.get, has)

        runs = [phase.evaluate(matcher) for phase in phases]
        marked = sorted(m for m in marks if has[m])
        assert sum(runs) == default.evaluate(matcher), (
            f"a test marked {marked} runs {sum(runs)} times in make test, "
            f"{int(default.evaluate(matcher))} in plain pytest"
        )
        if has["spark"] or has["slow"]:
            assert not fast.evaluate(matcher), f"a test marked {marked} runs in the fast phase"


def test_make_runs_python_from_cached_bytecode_kept_out_of_the_tree(tmp_path):
    # Every process `make` starts (the CLI, pytest, Dagster's run workers) would otherwise compile
    # each module it imports (uv installs no bytecode): benchmarks/process_start.py.
    root = Path(__file__).resolve().parents[1]
    env = subprocess.run(
        ["make", "-s", "--eval=_env:;@env", "_env"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1", "HOME": str(tmp_path)},
    ).stdout.splitlines()
    variables = dict(line.split("=", 1) for line in env if "=" in line)
    assert "PYTHONDONTWRITEBYTECODE" not in variables, "make would compile every import anew"
    assert variables.get("PYTHONPYCACHEPREFIX") == str(root / ".venv" / "pycache"), variables


def test_no_test_module_imports_another():
    # An imported fixture needs a noqa to survive ruff and shadows conftest's silently; an
    # imported helper ties one test module to another's internals. Shared fixtures belong in
    # conftest.py, shared helpers in support/.
    here = Path(__file__).parent
    offenders = {}
    for module in sorted(here.glob("test_*.py")):
        for node in ast.walk(ast.parse(module.read_text())):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names] if isinstance(node, ast.Import) else []
            )
            imported = [n for n in names if n.split(".")[-1].startswith("test_")]
            if imported:
                offenders.setdefault(module.name, []).extend(imported)
    assert offenders == {}, f"test modules importing test modules: {offenders}"


def test_the_modules_scheduled_first_are_the_suites_own():
    # `make test`'s workers start the modules of LONGEST_MODULES_FIRST first; a renamed module
    # would silently lose its place and could start last, with the other workers idle.
    from wistia_assets_tests.conftest import LONGEST_MODULES_FIRST

    here = Path(__file__).resolve().parent
    missing = [name for name in LONGEST_MODULES_FIRST if not (here / name).is_file()]
    assert not missing, f"LONGEST_MODULES_FIRST names modules that do not exist: {missing}"
    assert len(set(LONGEST_MODULES_FIRST)) == len(LONGEST_MODULES_FIRST)


def test_a_module_named_longest_is_collected_before_the_others(pytester):
    pytester.makeconftest(
        "from wistia_assets_tests.conftest import pytest_collection_modifyitems  # noqa: F401\n"
    )
    pytester.makepyfile(
        test_aaa="def test_a():\n    pass\n",
        test_iam_calls="def test_b():\n    pass\n",
        test_erasure_end_to_end="def test_c():\n    pass\n",
    )
    result = pytester.runpytest("--collect-only", "-q", "-p", "no:cacheprovider")
    order = [line.split("::")[0] for line in result.outlines if "::" in line]
    assert order == ["test_erasure_end_to_end.py", "test_iam_calls.py", "test_aaa.py"], order


def test_the_phase_benchmark_times_the_makefiles_own_commands():
    # benchmarks.suite_phases runs each phase as `make test` does, in one process and on workers.
    from benchmarks.suite_phases import phase_command

    for phase, marks in (("fast", "not spark and not slow"), ("slow", "(spark or slow)")):
        alone, parallel = phase_command(phase, 0), phase_command(phase, 3)
        assert alone[0].endswith("/pytest") and alone[2].startswith(marks), alone
        assert "-n" not in alone
        assert parallel[:3] == alone[:3] and parallel[parallel.index("-n") + 1] == "3", parallel
