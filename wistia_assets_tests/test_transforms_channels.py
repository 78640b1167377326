"""The channel rule of dim_media as a table: configuration first, whole tokens, careful X."""

from __future__ import annotations

import pytest

from wistia_assets.transforms.channels import channel_from_name, media_channel


@pytest.mark.parametrize(
    ("name", "channel"),
    [
        ("Product demo - YT", "youtube"),
        ("Launch teaser FB", "facebook"),
        ("Spring promo (YouTube)", "youtube"),
        ("spring promo youtube cut", "youtube"),
        ("Webinar clip for LinkedIn", "linkedin"),
        ("Webinar clip - Linked In", "linkedin"),
        ("Reel_IG_v2", "instagram"),
        ("Story for instagram", "instagram"),
        ("Teaser TW", "twitter"),
        ("Teaser on Twitter", "twitter"),
        ("Teaser | X", "twitter"),
        ("Teaser (X)", "twitter"),
        ("Teaser_X", "twitter"),
        ("seen on x.com", "twitter"),
        ("Dance TT", "tiktok"),
        ("Dance for Tik Tok", "tiktok"),
        ("Embed from youtu.be", "youtube"),
        ("Repost of the YouTube cut for FB", "facebook"),  # the last mention wins
        # Whole tokens only, and abbreviations only in upper case.
        ("FBI training video", "unknown"),
        ("Q3 YTD results", "unknown"),
        ("Twitterverse explained", "unknown"),
        ("Interview with li", "unknown"),
        ("tt", "unknown"),
        ("Part X", "unknown"),
        ("3 X faster onboarding", "unknown"),
        ("Episode X - recap", "unknown"),
        ("myyoutube.community tour", "unknown"),
        ("", "unknown"),
        (None, "unknown"),
    ],
)
def test_channel_from_name(name, channel):
    assert channel_from_name(name) == channel


def test_configuration_wins_over_the_name():
    configured = {"e4a27b971d": " Newsletter "}
    assert media_channel("e4a27b971d", "Product demo - YT", configured) == "newsletter"
    assert media_channel("abc123def4", "Product demo - YT", configured) == "youtube"
    assert media_channel("abc123def4", "Product demo", configured) == "unknown"
