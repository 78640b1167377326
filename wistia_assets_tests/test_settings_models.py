"""Each setting is declared once, in its model, and every place that shows or uses a setting takes
it from there: the README's configuration table, `sandbox serve`'s flags, the doctor's advice,
the client's and the resource's defaults."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from wistia_assets.cli import parser
from wistia_assets.resources.wistia_api import WistiaApiResource
from wistia_assets.sandbox import SandboxConfig
from wistia_assets.settings import MODELS, Settings, WistiaApiSettings, declarations, env_name
from wistia_assets.wistia import RateBudget, WistiaClient

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCTOR = ROOT / "wistia_assets" / "doctor"
# Documented in the table, read by someone else: Dagster itself, and the contract tests.
NOT_THE_PACKAGES = {
    "DAGSTER_HOME",
    "WISTIA_CONTRACT_TOKEN",
    "WISTIA_CONTRACT_MEDIA_ID",
    "WISTIA_CONTRACT_BASE_URL",
    "WISTIA_CONTRACT_MEDIA_ONLY_TOKEN",
}
# How the table says "no default".
UNSET = ("unset", "–", "empty")


def declared() -> dict:
    """Every declaration of every model, by variable."""
    found = {}
    for model in (*MODELS, SandboxConfig):
        for declaration in declarations(model).values():
            assert declaration.env not in found, f"{declaration.env} is declared twice"
            found[declaration.env] = declaration
    return found


def readme_defaults() -> dict[str, str]:
    """The configuration table as {variable: its default cell}; a row naming several variables
    gives each its own of as many comma-separated defaults, or the whole cell."""
    text = README.read_text()
    section = text[text.index("## Configuration") :]
    section = section[: section.index("\n## ", 1)]
    rows = {}
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        names_cell, default_cell = (cell.strip() for cell in line.strip("|").split(" | ")[:2])
        names = re.findall(r"`([A-Z][A-Z0-9_]+)`", names_cell)
        defaults = [part.strip() for part in default_cell.split(", ")]
        for n, name in enumerate(names):
            rows[name] = defaults[n] if len(defaults) == len(names) else default_cell
    return rows


def test_the_readme_table_documents_every_declared_setting_with_its_default():
    rows = readme_defaults()
    settings = declared()
    missing = sorted(set(settings) - set(rows))
    assert missing == [], f"declared but not in the README's configuration table: {missing}"
    wrong = {}
    for name, declaration in settings.items():
        cell = rows[name]
        if declaration.default is not None:
            expected = f"`{declaration.default}`"
            ok = expected in cell
        elif declaration.documented_default is not None:
            expected = declaration.documented_default
            ok = expected in cell
        else:
            expected = " or ".join(UNSET)
            ok = cell.startswith(UNSET)
        if not ok:
            wrong[name] = f"README says {cell!r}, the model {expected!r}"
    assert wrong == {}


def test_the_readme_table_documents_no_setting_the_models_lack():
    unknown = sorted(set(readme_defaults()) - set(declared()) - NOT_THE_PACKAGES)
    assert unknown == [], f"in the README's table but declared by no model: {unknown}"


def test_a_declared_default_is_what_the_environment_reader_gives_when_unset():
    """The field's Python default and the reader's value of the default text agree (no model
    may say one default to its constructor and another to the environment)."""
    from_env = Settings.from_env({})
    built = Settings()
    for name in declarations(Settings):
        if name in ("hash_key_file",):  # `~` resolves at read time (HOME may change in between)
            continue
        assert getattr(built, name) == getattr(from_env, name), name
    assert SandboxConfig() == SandboxConfig.from_env({})


def test_sandbox_serve_has_one_flag_per_sandbox_setting_and_no_other_knob():
    serve = _subparser(parser(), "sandbox", "serve")
    flags = {
        option: action
        for action in serve._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    }
    own = {"--host", "--port", "--token", "--media-only-token"}
    expected = {"--" + name.replace("_", "-") for name in declarations(SandboxConfig)}
    assert set(flags) - own == expected
    defaults = SandboxConfig()
    for name, declaration in declarations(SandboxConfig).items():
        action = flags["--" + name.replace("_", "-")]
        assert action.dest == name
        assert action.type is type(getattr(defaults, name))
        assert declaration.env in action.help  # says which variable it overrides


def test_sandbox_serve_flags_reach_the_sandbox_under_the_models_names(monkeypatch):
    from wistia_assets.commands import sandbox as command

    served = {}
    monkeypatch.setattr(
        "wistia_assets.sandbox.run_forever",
        lambda host, port, **kwargs: served.update(host=host, port=port, **kwargs),
    )
    args = parser().parse_args(
        ["sandbox", "serve", "--port", "9", "--seed", "11", "--events-window", "end-exclusive"]
        + ["--throttle-status", "503", "--account-timezone", "Asia/Tokyo"]
    )
    assert command.main(args) == 0
    options = {k: v for k, v in served.items() if k in declarations(SandboxConfig)}
    assert SandboxConfig.from_env({}, **options) == SandboxConfig(
        seed=11, events_window="end-exclusive", throttle_status=503, account_timezone="Asia/Tokyo"
    )
    assert (served["port"], served["token"]) == (9, None)


def test_the_doctor_spells_no_variable_name_itself():
    """Its advice names settings through the models: no variable of any model written out."""
    names = set(declared())
    spelled = {
        f"{path.name}: {name}"
        for path in DOCTOR.glob("*.py")
        for name in re.findall(r"\b[A-Z][A-Z0-9_]{3,}\b", path.read_text())
        if name in names
    }
    assert spelled == set()


def test_the_doctors_advice_names_the_models_variables():
    """A sandbox that disagrees with the events window and the first page configured: the
    advice names each by its model's variable, with the value to set."""
    from wistia_assets.sandbox import SandboxWistia
    from wistia_assets_tests.conftest import doctor_recommends

    sandbox = SandboxWistia(events_window="end-exclusive", events_per_day=150)
    recommended = doctor_recommends(sandbox, datetime.now(UTC).date(), {"WISTIA_PAGE": "2"})
    assert recommended == {
        env_name(Settings, "events_window"): "end-exclusive",
        env_name(Settings, "first_page"): "1",
    }


def test_the_clients_defaults_are_the_settings_defaults():
    from_env = Settings.from_env({})
    client = WistiaClient(WistiaApiSettings(), budget=RateBudget(60))
    with client:
        assert client.page_prefetch == from_env.page_prefetch == 2
        assert (client.per_page, client.first_page, client.max_attempts) == (
            from_env.per_page,
            from_env.first_page,
            from_env.max_attempts,
        )
        assert client.base_url == from_env.wistia_base_url
        assert client._http.timeout.read == from_env.wistia_timeout


def test_the_resource_carries_every_api_and_sandbox_setting_with_its_default():
    fields = WistiaApiResource.model_fields
    api, sandbox = WistiaApiSettings(), SandboxConfig()
    for name in declarations(WistiaApiSettings):
        assert fields[name].default == getattr(api, name) or name == "wistia_api_token", name
    for name in declarations(SandboxConfig):
        assert fields[f"sandbox_{name}"].default == getattr(sandbox, name), name
    own = {"backoff_base", "sandbox"}
    carried = {*declarations(WistiaApiSettings), *(f"sandbox_{n}" for n in declarations(sandbox))}
    assert set(fields) == carried | own


def test_the_resource_gives_its_clients_the_settings_values(monkeypatch):
    monkeypatch.setenv("WISTIA_SANDBOX_SEED", "13")  # the deployment reads the sandbox's here
    settings = Settings.from_env(
        {
            "WISTIA_PAGE_PREFETCH": "5",
            "WISTIA_PER_PAGE": "40",
            "WISTIA_RATE_LIMIT_PER_MINUTE": "300",
        }
        | {"WISTIA_POOL_SLOTS": "3"}
    )
    from wistia_assets.deployments import wistia_resource

    resource = wistia_resource(settings)
    assert resource.api_settings(settings.wistia_base_url) == settings_api(settings)
    with resource.open_client() as client:
        assert (client.page_prefetch, client.per_page) == (5, 40)
        assert client.budget.per_minute == pytest.approx(100.0)
    assert SandboxConfig.from_resource_fields(resource).seed == 13


def settings_api(settings: Settings) -> WistiaApiSettings:
    return WistiaApiSettings(**{n: getattr(settings, n) for n in declarations(WistiaApiSettings)})


def _subparser(root, *names):
    for name in names:
        action = next(a for a in root._actions if getattr(a, "choices", None) and name in a.choices)
        root = action.choices[name]
    return root
