"""Configuration mistakes fail at start with a message that names the variable and the fix."""

from __future__ import annotations

import pytest

from wistia_assets.settings import SANDBOX_MEDIA_IDS, ConfigError, Secret, Settings


def test_embedded_defaults_use_the_sandbox_with_two_media():
    settings = Settings.from_env({})
    assert settings.deployment == "local"
    assert settings.uses_sandbox and settings.source == "sandbox"
    assert settings.media_ids == SANDBOX_MEDIA_IDS
    assert settings.wistia_base_url == "https://api.wistia.com/v1"
    assert (settings.per_page, settings.first_page, settings.wistia_timeout) == (100, 1, 30.0)
    assert settings.ddb_table == "WistiaWatermarks"


def test_token_switches_local_to_the_real_api_and_requires_media_ids():
    with pytest.raises(ConfigError, match="MEDIA_IDS is not set"):
        Settings.from_env({"WISTIA_API_TOKEN": "tok"})
    settings = Settings.from_env({"WISTIA_API_TOKEN": "tok", "MEDIA_IDS": "e4a27b971d, abc123def4"})
    assert not settings.uses_sandbox
    assert settings.media_ids == ("e4a27b971d", "abc123def4")


def test_token_never_shows_in_repr():
    settings = Settings.from_env({"WISTIA_API_TOKEN": "s3cr3t-token", "MEDIA_IDS": "abcd1234"})
    assert "s3cr3t-token" not in repr(settings)
    assert "s3cr3t-token" not in str(settings.wistia_api_token)
    assert settings.wistia_api_token == Secret("s3cr3t-token")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MEDIA_IDS": "abc/../../etc"}, "not a Wistia hashed media id"),
        ({"MEDIA_IDS": "media=x"}, "not a Wistia hashed media id"),
        ({"MEDIA_IDS": "abcd1234,abcd1234"}, "more than once"),
        ({"MEDIA_IDS": " , "}, "MEDIA_IDS is empty"),
        ({"WISTIA_START_DATE": "2026-13-01"}, "not a real calendar date"),
        ({"WISTIA_START_DATE": "20261101"}, "YYYY-MM-DD"),
        ({"WISTIA_START_DATE": "2999-01-01"}, "in the future"),
        ({"WISTIA_PER_PAGE": "500"}, "WISTIA_PER_PAGE=500 is out of range"),
        ({"WISTIA_TIMEOUT": "soon"}, "WISTIA_TIMEOUT='soon' is not a number"),
        ({"WISTIA_BASE_URL": "ftp://api.wistia.com"}, "not an http"),
        ({"WISTIA_BASE_URL": "http://api.wistia.com/v1"}, "plain http"),
        ({"WISTIA_BASE_URL": "https://user:pw@api.wistia.com/v1"}, "credentials"),
        ({"DAGSTER_DEPLOYMENT": "prod"}, "not one of local, aws"),
        ({"DAGSTER_DEPLOYMENT": "aws"}, "WISTIA_API_TOKEN is not set"),
        ({"MEDIA_CHANNELS": "abcd1234=youtube"}, "<media_id>:<channel>"),
        ({"ERASE_TASK_ROLE_ARN": "EraseTaskRole"}, "ERASE_TASK_ROLE_ARN='EraseTaskRole' is not"),
        ({"ERASE_TASK_ROLE_ARN": "arn:aws:iam::1234:role/x"}, "not an IAM role ARN"),
    ],
)
def test_bad_settings_fail_with_a_clear_message(env, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_loopback_http_base_url_is_allowed_for_a_local_wistia_compatible_server():
    settings = Settings.from_env({"WISTIA_BASE_URL": "http://127.0.0.1:8765/v1/"})
    assert settings.wistia_base_url == "http://127.0.0.1:8765/v1"


def test_aws_deployment_needs_buckets_and_hash_key():
    base = {"DAGSTER_DEPLOYMENT": "aws", "WISTIA_API_TOKEN": "t", "MEDIA_IDS": "abcd1234"}
    with pytest.raises(ConfigError, match="WISTIA_HASH_KEY"):
        Settings.from_env(base)
    with pytest.raises(ConfigError, match="BRONZE_BUCKET"):
        Settings.from_env({**base, "WISTIA_HASH_KEY_SECRET_ID": "wistia/hash-key"})
    settings = Settings.from_env(
        {
            **base,
            "WISTIA_HASH_KEY_SECRET_ID": "wistia/hash-key",
            "BRONZE_BUCKET": "b",
            "SILVER_BUCKET": "s",
            "MEDIA_CHANNELS": "abcd1234:YouTube",
        }
    )
    assert settings.channels == {"abcd1234": "youtube"}
    assert settings.pipes_bucket == "b"
