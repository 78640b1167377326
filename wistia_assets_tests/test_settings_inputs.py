"""Hostile configuration values found by the reliability harness's `hostile_inputs` probes: a
base URL with a password in it is refused without echoing the password, a URL with spaces,
control characters or an impossible port fails at start instead of inside httpx, and integer
settings take ASCII digits only."""

from __future__ import annotations

import pytest

from wistia_assets.settings import ConfigError, Settings

BASE = {"WISTIA_API_TOKEN": "t", "MEDIA_IDS": "abcd1234"}


@pytest.mark.parametrize(
    "url",
    [
        "htps://user:s3cr3t-pw@api.wistia.com/v1",
        "user:s3cr3t-pw@api.wistia.com/v1",
        "https://user:s3cr3t-pw@api.wistia.com/v1",
        "https://:s3cr3t-pw@api.wistia.com",
    ],
)
def test_a_password_in_the_base_url_is_refused_and_never_echoed(url):
    with pytest.raises(ConfigError, match="credentials") as raised:
        Settings.from_env({**BASE, "WISTIA_BASE_URL": url})
    assert "s3cr3t-pw" not in str(raised.value)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://api wistia.com/v1", "spaces or control characters"),
        ("https://api.wistia.com/v1\r\nX-Injected: 1", "spaces or control characters"),
        ("https://api.wistia.com:99999/v1", "invalid port"),
        ("https://:443/v1", "not an http"),
    ],
)
def test_malformed_base_urls_fail_at_start(url, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({**BASE, "WISTIA_BASE_URL": url})


@pytest.mark.parametrize("value", ["1_00", "\u0663", "1e2", "0x10"])
def test_integer_settings_take_ascii_digits_only(value):
    with pytest.raises(ConfigError, match="is not an integer"):
        Settings.from_env({**BASE, "WISTIA_PER_PAGE": value})
    assert Settings.from_env({**BASE, "WISTIA_PER_PAGE": " 50 "}).per_page == 50
