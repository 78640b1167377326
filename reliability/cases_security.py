"""Security cases: the secrets never leak, Silver holds no personal data, hostile inputs are
refused with one clear line and never reach a path outside their partition.

Every case of the matrix also ends with the secret scan and the Silver personal-data scan (see
`matrix.Ctx._final_checks`); the cases here add the runs that are most likely to leak (DEBUG
logging everywhere, a rejected token, a CLI failure) and the probes of every entry point that
takes a media id, a date or a URL.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from dagster import AssetKey

from reliability.lab import MEDIA, TOKEN, Lab, stop_local_spark, utc_today
from reliability.matrix import Ctx, case
from reliability.security import personal_values, scan_silver
from reliability.truth import parquet_files

M0, M1 = MEDIA
DEBUG_CONSOLE = {"loggers": {"console": {"config": {"log_level": "DEBUG"}}}}


@case(
    "secrets_never_leak",
    "the token and the hash key in logs, event log, metadata, manifests, errors",
    "after a run with every logger at DEBUG, a run whose token is rejected (401), a CLI run "
    "and a failing CLI run: neither secret (raw, URL-quoted, base64, hex) in any captured log "
    "line, stdout/stderr, Dagster event log entry or run record, or any byte of any file in "
    "the lake and DAGSTER_HOME (SQLite storage included)",
    quick=True,
    group="security",
)
def secrets_never_leak(ctx: Ctx) -> None:
    lab = ctx.lab(seed=40, events_per_day=300, faults="429=0.1,retry_after=1,503=0.1,bad=0.02")
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.DEBUG)
    try:
        with lab.captured_streams():
            ok = _run(lab, DEBUG_CONSOLE)
            ctx.check(ok.success, "the DEBUG run failed")
            # The sandbox now expects another token: ours is rejected with 401.
            lab.sandbox.token = f"other-{TOKEN[::-1]}"
            rejected = _run(lab, DEBUG_CONSOLE)
            lab.sandbox.token = TOKEN
    finally:
        root.setLevel(level)
    from reliability.lab import first_failure

    message = first_failure(rejected.all_events)
    ctx.check(not rejected.success, "a rejected token did not fail the run")
    ctx.check("rejected the API token" in message, f"401 message unclear: {message!r}")
    ctx.note(f"401 message: {message[:120]}")
    stop_local_spark()
    ctx.require_success(lab.rerun_cli(lab.day, M1, tag="cli-ok"))
    failing = lab.spawn_cli("rerun", "--date", "2999-01-01", tag="cli-bad-date").wait(120)
    ctx.check(not failing.success and failing.error, "the CLI accepted a future date")
    ctx.report_secret_scan = True


def _run(lab: Lab, run_config):
    from wistia_assets.definitions import build_defs

    job = build_defs(lab.settings()).resolve_job_def("wistia_window")
    result = job.execute_in_process(
        partition_key=f"{lab.day.isoformat()}|{M0}",
        instance=lab.instance,
        raise_on_error=False,
        run_config=run_config,
    )
    return result


@case(
    "silver_no_personal_data",
    "Silver holds no personal data",
    "every string value of fact_events, fact_media_by_date and dim_media: no IPv4/IPv6/e-mail "
    "pattern, no forbidden column, embed_url without query, none of the exact ips, e-mails, "
    "visitor keys or heatmap tokens the API sent; the scanner finds them in Bronze (control)",
    quick=True,
    group="security",
)
def silver_no_personal_data(ctx: Ctx) -> None:
    lab = ctx.lab(seed=41, events_per_day=600, faults="foreign=0.02,bad=0.02")
    for media in MEDIA:
        ctx.require_success(lab.run_window(media=media))
    from wistia_assets.definitions import build_defs

    dim = (
        build_defs(lab.settings())
        .resolve_job_def("dim_media_refresh")
        .execute_in_process(instance=lab.instance, raise_on_error=False)
    )
    ctx.check(dim.success, "dim_media_refresh failed")
    tables = {
        name: len(parquet_files(lab.lake / f"silver/wistia/{name}"))
        for name in ("fact_events", "fact_media_by_date", "dim_media")
    }
    ctx.check(all(tables.values()), f"a Silver table has no file: {tables}")
    from reliability.matrix import _served_records

    served = _served_records(lab)
    known = personal_values(served)
    problems, scanned = scan_silver(lab.lake, known)
    ctx.expect(problems)
    # Control: the same scanner over what the API sent finds personal data.
    from reliability.security import _value_problems

    control = sum(
        bool(_value_problems("bronze", key, str(value), known))
        for record in served[:200]
        for key, value in record.items()
        if isinstance(value, str)
    )
    ctx.check(control > 0, "the scanner finds nothing even in raw Bronze: it is blind")
    ctx.note(
        f"{scanned} Silver string values scanned against {len(known)} personal values the API "
        f"sent; the control found {control} personal values in 200 raw records"
    )


# --- hostile inputs ---------------------------------------------------------------------------


def _settings_probes(lab: Lab) -> list[tuple[str, str, str, bool]]:
    """(entry point, input, outcome, refused) for configuration values."""
    from wistia_assets.settings import ConfigError, Settings

    future = (utc_today() + timedelta(days=3)).isoformat()
    probes = [
        {"MEDIA_IDS": "../x"},
        {"MEDIA_IDS": "a/b"},
        {"MEDIA_IDS": "x=y"},
        {"MEDIA_IDS": "sbx1yt7k2q,../../etc"},
        {"MEDIA_IDS": "abc%2f..%2fx"},
        {"MEDIA_CHANNELS": "../x:youtube"},
        {"WISTIA_START_DATE": "2026-02-30"},
        {"WISTIA_START_DATE": "26-01-01"},
        {"WISTIA_START_DATE": future},
        {"WISTIA_BASE_URL": "http://api.wistia.com/v1"},
        {"WISTIA_BASE_URL": "https://user:s3cr3t-pw@api.wistia.com/v1"},
        {"WISTIA_BASE_URL": "htps://user:s3cr3t-pw@api.wistia.com/v1"},
        {"WISTIA_BASE_URL": "user:s3cr3t-pw@api.wistia.com/v1"},
        {"WISTIA_BASE_URL": "https://api.wistia.com/v1?api_password=s3cr3t-pw"},
        {"WISTIA_BASE_URL": "https://api.wistia.com:99999/v1"},
        {"WISTIA_BASE_URL": "https://api.wistia.com/v1\r\nX-Injected: 1"},
        {"WISTIA_BASE_URL": "https://api wistia.com/v1"},
        {"WISTIA_PER_PAGE": "1_00"},
    ]
    out = []
    for probe in probes:
        ((name, value),) = probe.items()
        try:
            Settings.from_env({**lab.env, **probe})
        except ConfigError as exc:
            text = str(exc)
            leaked = "s3cr3t-pw" in text
            out.append(
                (
                    "settings",
                    f"{name}={value!r}",
                    text + (" [ECHOES THE SECRET]" * leaked),
                    not leaked,
                )
            )
            continue
        out.append(("settings", f"{name}={value!r}", "accepted", False))
    return out


def _cli_probes(lab: Lab) -> list[tuple[str, str, str, bool]]:
    tomorrow = (utc_today() + timedelta(days=1)).isoformat()
    before_start = (lab.day - timedelta(days=40)).isoformat()
    day = lab.day.isoformat()
    probes = [
        ("rerun", "--date", "../x"),
        ("rerun", "--date", "2026-02-30"),
        ("rerun", "--date", tomorrow),
        ("rerun", "--date", before_start),
        ("rerun", "--date", day, "--media-id", "../x"),
        ("rerun", "--date", day, "--media-id", "a/b"),
        ("rerun", "--date", day, "--media-id", "x=y"),
        ("rerun", "--date", day, "--media-id", "zzzz9999"),
        ("run", "--days", "0"),
        ("run", "--days", "-3"),
        ("run", "--end-date", tomorrow),
        ("watermark", "set", "--dataset", "events", "--media-id", "../x", "--date", day, "--yes"),
        ("watermark", "set", "--dataset", "events", "--media-id", M0, "--date", "2999-01-01"),
    ]
    out = []
    for args in probes:
        out.append(_cli_probe(lab, list(args), "wistia-assets " + " ".join(args)))
    out.append(
        _cli_probe(
            lab, ["run", "--days", "1"], "MEDIA_IDS=../x wistia-assets run", {"MEDIA_IDS": "../x"}
        )
    )
    return out


def _cli_probe(lab: Lab, args: list[str], label: str, env: dict | None = None):
    import os

    proc = subprocess.run(  # noqa: S603 - our own CLI with the harness's arguments
        lab.cli_command(*args),
        env={**os.environ, **lab.env, **(env or {})},
        cwd=lab.root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lab.outputs += [proc.stdout, proc.stderr]
    errors = [line for line in proc.stderr.splitlines() if line.startswith(("error:", "usage:"))]
    clean = proc.returncode != 0 and "Traceback" not in proc.stderr and bool(errors)
    text = errors[-1] if errors else (proc.stderr.strip().splitlines() or ["(no message)"])[-1]
    return ("cli", label, f"exit {proc.returncode}: {text}", clean)


def _dagster_cli_probes(lab: Lab) -> list[tuple[str, str, str, bool]]:
    import os
    import shutil

    dagster = shutil.which("dagster", path=str(Path(sys.executable).parent))
    out = []
    for key in (f"{lab.day}|../../x", f"{lab.day}|a/b", f"../x|{M0}"):
        proc = subprocess.run(  # noqa: S603 - dagster's CLI with the harness's arguments
            [
                dagster,
                "asset",
                "materialize",
                "-m",
                "wistia_assets",
                "--select",
                "bronze_events",
                "--partition",
                key,
            ],
            env={**os.environ, **lab.env},
            cwd=lab.root,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        lab.outputs += [proc.stdout, proc.stderr]
        lines = [line for line in proc.stderr.splitlines() if "Error" in line or "error" in line]
        text = lines[-1].strip() if lines else "(no error line)"
        out.append(
            (
                "dagster asset materialize",
                f"--partition {key!r}",
                f"exit {proc.returncode}: {text[:160]}",
                proc.returncode != 0,
            )
        )
    return out


def _library_probes(lab: Lab) -> list[tuple[str, str, str, bool]]:
    import json

    from wistia_assets.storage.layout import window_partition
    from wistia_assets.storage.objects import LocalStore
    from wistia_assets.transforms.bronze_reader import load_partition
    from wistia_assets.transforms.runner import run_partition

    store = LocalStore(lab.lake)
    probes = []

    def attempt(entry: str, given: str, fn) -> None:
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - every refusal is an outcome to report
            probes.append((entry, given, f"{type(exc).__name__}: {exc}", True))
        else:
            probes.append((entry, given, "accepted", False))

    attempt(
        "storage.layout.window_partition",
        "media_id='../x'",
        lambda: window_partition("bronze/wistia/events", lab.day, "../x"),
    )
    attempt(
        "storage.objects.LocalStore",
        "key='bronze/../../x'",
        lambda: store.write_bytes("bronze/../../x", b"x"),
    )
    attempt(
        "transforms.runner.run_partition (Glue job)",
        "media_id='../x'",
        lambda: run_partition(
            None,
            table="fact_events",
            dt=lab.day.isoformat(),
            media_id="../x",
            bronze_root=store.root_uri,
            silver_root=store.root_uri,
            hash_key=b"k",
        ),
    )
    # A tampered manifest that names a file outside its partition.
    prefix = window_partition("bronze/wistia/events", lab.day, M0)
    manifest = {
        "parts": [{"key": f"{prefix}/../../../../../_state/hash_key", "rows": 1}],
        "rows": 1,
    }
    store.write_bytes(f"{prefix}/_manifest.json", json.dumps(manifest).encode())
    attempt(
        "transforms.bronze_reader.load_partition",
        "manifest part '<partition>/../../../../../_state/hash_key'",
        lambda: load_partition(store, "events", lab.day.isoformat(), M0),
    )
    store.delete_keys([f"{prefix}/_manifest.json"])
    from wistia_assets.definitions import build_defs

    job = build_defs(lab.settings()).resolve_job_def("wistia_window")
    attempt(
        "JobDefinition.execute_in_process",
        f"partition_key='{lab.day}|../x'",
        lambda: _raise_if_failed(
            job.execute_in_process(
                partition_key=f"{lab.day}|../x",
                instance=lab.instance,
                raise_on_error=True,
                asset_selection=[AssetKey("bronze_events")],
            )
        ),
    )
    return probes


def _raise_if_failed(result) -> None:
    if not result.success:
        raise RuntimeError("run failed")


@case(
    "hostile_inputs",
    "inputs a user controls are validated; a media id cannot escape its partition",
    "MEDIA_IDS, MEDIA_CHANNELS, WISTIA_START_DATE, WISTIA_BASE_URL, every CLI argument, "
    "Dagster partition keys (CLI and API), library entry points and a tampered manifest: each "
    "refused with one clear line (no traceback, no secret echoed); no file appears outside "
    "the lake's partition folders",
    group="security",
)
def hostile_inputs(ctx: Ctx) -> None:
    lab = ctx.lab(seed=42, events_per_day=150)
    stop_local_spark()
    before = _paths(lab.root)
    probes = (
        _settings_probes(lab) + _library_probes(lab) + _cli_probes(lab) + _dagster_cli_probes(lab)
    )
    for entry, given, outcome, refused in probes:
        ctx.check(refused, f"{entry} {given}: {outcome}")
        ctx.note(f"probe: {entry} | {given} | {'refused' if refused else 'ACCEPTED'} | {outcome}")
    created = sorted(
        p
        for p in _paths(lab.root) - before
        if not p.startswith(("dagster_home/", "lake/_state/", "lake/_staging"))
        and not p.endswith((".out", ".err"))
    )
    ctx.check(not created, f"files created by the probes: {created[:5]}")
    ctx.note(f"{len(probes)} probes, {sum(p[3] for p in probes)} refused cleanly")


def _paths(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
