"""`wistia-assets doctor` against every sandbox option, as an operator runs it: the table, the
exit code, the exact setting to change, and exit 0 once it is applied. In-process against the
embedded sandbox (no token), over HTTP against `serve()` with a token, and once end to end with
the installed `wistia-assets sandbox serve` and `wistia-assets doctor` processes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from wistia_assets.sandbox import SandboxConfig, SandboxWistia, serve, shared_sandbox
from wistia_assets.settings import SANDBOX_MEDIA_IDS
from wistia_assets.wistia.account_days import zone_offset
from wistia_assets_tests.conftest import free_port
from wistia_assets_tests.support.cli import assert_one_line_error, cli

A, B = SANDBOX_MEDIA_IDS
TOKEN = "doctor-t0k-8d2f"
SETTINGS = ("WISTIA_EVENTS_WINDOW", "WISTIA_ACCOUNT_TIMEZONE", "WISTIA_API_TOKEN", "MEDIA_IDS")
SANDBOX_KNOBS = tuple(f"WISTIA_SANDBOX_{k}" for k in ("EVENTS_WINDOW", "DAY_OFFSET_HOURS"))


@pytest.fixture
def doctor(monkeypatch):
    """`doctor(env) -> (code, out, err)`: wistia-assets doctor in-process with these variables
    (the embedded sandbox unless a token is set), starting from a clean environment."""
    for name in (*SETTINGS, "WISTIA_BASE_URL", *SANDBOX_KNOBS):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WISTIA_MAX_ATTEMPTS", "3")

    def run(env: dict[str, str] | None = None, *args: str):
        with monkeypatch.context() as scoped:
            for key, value in (env or {}).items():
                scoped.setenv(key, value)
            return cli("doctor", *args)

    return run


def verdicts(out: str) -> dict[str, str]:
    """check -> verdict, from the printed table."""
    table = out.split("\n\n")[1]
    return {
        line.split("  ")[0].strip(): line.rsplit(None, 1)[-1] for line in table.splitlines()[1:]
    }


def request_row(rows: dict[str, str]) -> str:
    """The verdict on the pipeline's own request for the probe day."""
    (verdict,) = [v for check, v in rows.items() if check.startswith("request for UTC ")]
    return verdict


def changes(out: str) -> dict[str, str]:
    return dict(re.findall(r"^change (\w+)=(\S+?):", out, flags=re.MULTILINE))


def probe_day(out: str):
    return datetime.strptime(re.search(r", day (\S+),", out).group(1), "%Y-%m-%d").date()


def requests_spent(out: str) -> int:
    return int(re.search(r", (\d+) requests\n", out).group(1))


def test_the_sandbox_as_configured_passes_within_a_few_dozen_requests(doctor):
    before = len(shared_sandbox(**SandboxConfig().sandbox_kwargs()).request_log)

    code, out, err = doctor()

    assert code == 0, out + err
    assert "built-in sandbox" in out and "ok: the API behaves as the pipeline is configured" in out
    rows = verdicts(out)
    for check in ("token", "MEDIA_IDS", "start_date", "end_date", "account day start"):
        assert rows[check] == "ok"
    assert rows["per_page cap"] == rows["page past the end"] == request_row(rows) == "ok"
    assert "00:00 UTC+00:00" in out and "empty array" in out
    spent = len(shared_sandbox(**SandboxConfig().sandbox_kwargs()).request_log) - before
    assert spent == requests_spent(out) <= 40


@pytest.mark.parametrize("window", ["end-exclusive", "start-exclusive", "exclusive"])
def test_an_excluded_end_names_wistia_events_window_until_it_is_set(doctor, window):
    sandbox = {"WISTIA_SANDBOX_EVENTS_WINDOW": window}

    code, out, _ = doctor(sandbox)

    assert code == 1
    assert changes(out) == {"WISTIA_EVENTS_WINDOW": window}
    rows = verdicts(out)
    assert request_row(rows) == "CHANGE" and "gets no day at all: misses part of it" in out
    assert (rows["start_date"], rows["end_date"]) == {
        "end-exclusive": ("ok", "CHANGE"),
        "start-exclusive": ("CHANGE", "ok"),
        "exclusive": ("CHANGE", "CHANGE"),
    }[window]

    code, out, _ = doctor(sandbox | {"WISTIA_EVENTS_WINDOW": window})
    assert code == 0, out
    assert request_row(verdicts(out)) == "ok"


@pytest.mark.parametrize(
    ("hours", "shown", "expected_zone"),
    [(-5, "UTC-05:00", None), (9, "UTC+09:00", "Asia/Tokyo")],
)
def test_an_account_offset_names_a_zone_that_fits_until_one_is_set(
    doctor, hours, shown, expected_zone
):
    sandbox = {"WISTIA_SANDBOX_DAY_OFFSET_HOURS": str(hours)}

    code, out, _ = doctor(sandbox)

    assert code == 1
    (zone,) = changes(out).values()
    assert list(changes(out)) == ["WISTIA_ACCOUNT_TIMEZONE"]
    day = probe_day(out)
    assert f"00:00 {shown} on {day}" in out
    assert zone_offset(ZoneInfo(zone), day) == timedelta(hours=hours)
    if expected_zone:
        assert zone == expected_zone

    code, out, _ = doctor(sandbox | {"WISTIA_ACCOUNT_TIMEZONE": zone})
    assert code == 0, out


def test_an_account_zone_with_daylight_saving_is_recognised(doctor):
    sandbox = {"WISTIA_SANDBOX_ACCOUNT_TIMEZONE": "America/New_York"}

    code, out, _ = doctor(sandbox)

    assert code == 1
    day = probe_day(out)
    expected = zone_offset(ZoneInfo("America/New_York"), day)
    assert zone_offset(ZoneInfo(changes(out)["WISTIA_ACCOUNT_TIMEZONE"]), day) == expected
    assert "America/New_York" in out  # among the examples, whatever the season

    code, out, _ = doctor(sandbox | {"WISTIA_ACCOUNT_TIMEZONE": "America/New_York"})
    assert code == 0, out


def test_both_disagreements_at_once_name_both_settings(doctor):
    sandbox = {
        "WISTIA_SANDBOX_EVENTS_WINDOW": "end-exclusive",
        "WISTIA_SANDBOX_DAY_OFFSET_HOURS": "-5",
    }
    code, out, _ = doctor(sandbox)
    assert code == 1
    found = changes(out)
    assert found["WISTIA_EVENTS_WINDOW"] == "end-exclusive"
    assert zone_offset(ZoneInfo(found["WISTIA_ACCOUNT_TIMEZONE"]), probe_day(out)) == timedelta(
        hours=-5
    )
    code, out, _ = doctor(sandbox | found)
    assert code == 0, out


@pytest.mark.parametrize(
    ("past_end", "answer"),
    [("empty", "empty array"), ("repeat", "repeat of the last page"), ("404", "HTTP 404")],
)
def test_the_answer_past_the_end_is_shown_and_handled(doctor, past_end, answer):
    code, out, _ = doctor({"WISTIA_SANDBOX_PAST_END": past_end})
    assert code == 0, out
    (row,) = [line for line in out.splitlines() if line.startswith("page past the end")]
    assert answer in row and row.endswith("ok")


def test_derived_hours_watched_and_503_throttling_are_told_apart_and_met(doctor):
    code, out, _ = doctor(
        {
            "WISTIA_SANDBOX_HOURS_WATCHED": "derived",
            "WISTIA_SANDBOX_THROTTLE_STATUS": "503",
            "WISTIA_SANDBOX_FAULTS": "429=0.15,retry_after=0",
        }
    )
    assert code == 0, out
    assert "hours per play the same every day: a derived figure" in out
    assert verdicts(out)["by_date hours_watched"] == "info"


@pytest.mark.parametrize(
    ("args", "env", "fragment"),
    [
        (("--date", "2026-13-01"), {}, "not a real calendar date"),
        (("--date", datetime.now(UTC).date().isoformat()), {}, "too recent"),
        (("--media-id", "zzzz9999"), {}, "not configured"),
        ((), {"WISTIA_EVENTS_WINDOW": "sideways"}, "WISTIA_EVENTS_WINDOW"),
        ((), {"WISTIA_ACCOUNT_TIMEZONE": "Mars/Base"}, "WISTIA_ACCOUNT_TIMEZONE"),
    ],
)
def test_bad_input_is_exit_2_and_one_line(doctor, args, env, fragment):
    code, out, err = doctor(env, *args)
    assert_one_line_error(code, err, fragment)
    assert out == ""


# -- over HTTP, with a token ----------------------------------------------------------------------


@pytest.fixture
def served():
    sandbox = SandboxWistia(token=TOKEN, media_only_token="media-only-t0k")
    with serve(sandbox) as server:
        yield server


def over_http(server, token=TOKEN, media_ids=f"{A},{B}") -> dict[str, str]:
    return {"WISTIA_API_TOKEN": token, "WISTIA_BASE_URL": server.url, "MEDIA_IDS": media_ids}


def test_a_wistia_compatible_server_with_a_token_passes(doctor, served):
    code, out, err = doctor(over_http(served), "--date", pick_day())
    assert code == 0, out
    assert served.url in out and "(Wistia)" in out
    assert TOKEN not in out + err


@pytest.mark.parametrize(
    ("token", "media_ids", "setting", "fragment"),
    [
        ("wrong-t0k", f"{A}", "WISTIA_API_TOKEN", "rejected (401)"),
        ("media-only-t0k", f"{A}", "WISTIA_API_TOKEN", "stats read refused (403)"),
        (TOKEN, f"{A},zzzz9999", "MEDIA_IDS", "not in the account: zzzz9999"),
    ],
)
def test_token_and_media_problems_name_the_setting(
    doctor, served, token, media_ids, setting, fragment
):
    code, out, err = doctor(over_http(served, token, media_ids))
    assert code == 1
    assert fragment in out
    assert re.search(rf"^change {setting}\b", out, flags=re.MULTILINE)
    assert token not in out + err


def pick_day() -> str:
    return (datetime.now(UTC).date() - timedelta(days=4)).isoformat()


@pytest.mark.slow
def test_the_installed_commands_end_to_end(tmp_path):
    """`wistia-assets sandbox serve` in one process, `wistia-assets doctor` in another."""
    bin_dir = Path(sys.executable).parent
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WISTIA_", "MEDIA_IDS"))}
    server = subprocess.Popen(  # noqa: S603 - our own entry point
        [
            bin_dir / "wistia-assets",
            "sandbox",
            "serve",
            "--port",
            str(port),
            "--token",
            TOKEN,
            "--events-window",
            "end-exclusive",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        banner = server.stdout.readline()
        assert "events_window=end-exclusive" in banner
        env |= {
            "WISTIA_API_TOKEN": TOKEN,
            "WISTIA_BASE_URL": f"http://127.0.0.1:{port}/v1",
            "MEDIA_IDS": A,
            "DAGSTER_HOME": str(tmp_path),
        }
        result = subprocess.run(  # noqa: S603
            [bin_dir / "wistia-assets", "doctor"],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
            check=False,
        )
        assert result.returncode == 1, result.stdout + result.stderr
        assert "change WISTIA_EVENTS_WINDOW=end-exclusive" in result.stdout
        assert TOKEN not in result.stdout + result.stderr
        fixed = subprocess.run(  # noqa: S603
            [bin_dir / "wistia-assets", "doctor"],
            capture_output=True,
            text=True,
            env=env | {"WISTIA_EVENTS_WINDOW": "end-exclusive"},
            timeout=300,
            check=False,
        )
        assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_server_that_stops_answering_leaves_the_rest_unverified(doctor):
    port = free_port()  # nothing listens there
    env = {
        "WISTIA_API_TOKEN": TOKEN,
        "WISTIA_BASE_URL": f"http://127.0.0.1:{port}/v1",
        "MEDIA_IDS": A,
        "WISTIA_MAX_ATTEMPTS": "1",
    }
    code, out, err = doctor(env)
    assert code == 1, out + err
    assert verdicts(out)["Wistia"] == "unverified" and "WISTIA_BASE_URL" in out
    assert TOKEN not in out + err


def test_weeks_without_plays_leave_the_window_unverified_and_say_what_to_do(doctor):
    today = datetime.now(UTC).date()
    quiet = f"zero_days={today - timedelta(days=25)}..{today}"
    code, out, _ = doctor({"WISTIA_SANDBOX_FAULTS": quiet})
    assert code == 1
    assert verdicts(out)["events window"] == "unverified"
    assert "--date YYYY-MM-DD of a day with plays" in out and changes(out) == {}
