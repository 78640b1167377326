"""The marketing channel of a media: configuration first, then a careful reading of its name.

Wistia has no channel field, so `dim_media.channel` is decided by these rules, in order:

1. Configuration: a mapping media_id -> channel (`MEDIA_CHANNELS`) wins when it names the media.
2. The media name, read as whole tokens (split on anything that is not a letter or a digit):
   - full words, any case: `YouTube`, `Facebook`, `Instagram`, `LinkedIn`, `Twitter`, `TikTok`
     (also written as two tokens: `You Tube`, `Linked In`, `Tik Tok`);
   - abbreviations, upper case only (`li` and `tt` are ordinary words or names in lower case):
     `YT` youtube, `FB` facebook, `IG` instagram, `LI` linkedin, `TW` twitter, `TT` tiktok;
   - domains anywhere: `youtube.com`, `youtu.be`, `facebook.com`, `fb.com`, `fb.watch`,
     `instagram.com`, `linkedin.com`, `twitter.com`, `x.com`, `tiktok.com`;
   - `X` (the renamed Twitter) only as an upper-case tag at the very end of the name set off by
     punctuation (`Launch - X`, `Launch | X`, `Launch (X)`, `Launch_X`): elsewhere a lone X is
     usually a roman numeral, a multiplier or a placeholder (`Part X`, `3 X faster`).
   Whole tokens only: `fbi`, `YTD`, `Twitterverse`, `ytmusic` are not channels. When a name
   mentions several channels, the last one wins (names conventionally end with their channel).
3. Otherwise `unknown`.

Values are lower-case words. Plain Python, so the rule is testable without Spark; `dim_media`
applies it through a UDF on a handful of rows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

UNKNOWN = "unknown"

WORDS = {
    "youtube": "youtube",
    "facebook": "facebook",
    "instagram": "instagram",
    "linkedin": "linkedin",
    "twitter": "twitter",
    "tiktok": "tiktok",
}
ABBREVIATIONS = {
    "YT": "youtube",
    "FB": "facebook",
    "IG": "instagram",
    "LI": "linkedin",
    "TW": "twitter",
    "TT": "tiktok",
}
DOMAINS = {
    "youtube.com": "youtube",
    "youtu.be": "youtube",
    "facebook.com": "facebook",
    "fb.com": "facebook",
    "fb.watch": "facebook",
    "instagram.com": "instagram",
    "linkedin.com": "linkedin",
    "twitter.com": "twitter",
    "x.com": "twitter",
    "tiktok.com": "tiktok",
}

_TOKEN = re.compile(r"[A-Za-z0-9]+")
_DOMAIN = re.compile(
    r"(?<![A-Za-z0-9.])(" + "|".join(re.escape(d) for d in DOMAINS) + r")(?![A-Za-z0-9])",
    re.IGNORECASE,
)
# A trailing upper-case X after punctuation (spaces around it allowed), closing bracket optional.
_TRAILING_X = re.compile(r"[-|_/(\[:][\s]*X[\s]*[)\]]?\s*$")


def _mentions(name: str) -> list[tuple[int, str]]:
    """(position, channel) for every channel mention in the name."""
    found: list[tuple[int, str]] = []
    for match in _DOMAIN.finditer(name):
        found.append((match.start(), DOMAINS[match.group(1).lower()]))
    # Domains were counted already; blank them so `youtube.com` is not also the word `youtube`.
    text = _DOMAIN.sub(lambda m: " " * len(m.group(0)), name)
    tokens = list(_TOKEN.finditer(text))
    for i, token in enumerate(tokens):
        word = token.group(0)
        if word.lower() in WORDS:
            found.append((token.start(), WORDS[word.lower()]))
        elif word in ABBREVIATIONS:
            found.append((token.start(), ABBREVIATIONS[word]))
        elif i + 1 < len(tokens):
            pair = (word + tokens[i + 1].group(0)).lower()
            if pair in WORDS:
                found.append((token.start(), WORDS[pair]))
    trailing_x = _TRAILING_X.search(text)
    if trailing_x:
        found.append((trailing_x.start(), "twitter"))
    return sorted(found)


def channel_from_name(name: str | None) -> str:
    """The channel a media name mentions (the last one when several), else `unknown`."""
    if not name:
        return UNKNOWN
    mentions = _mentions(name)
    return mentions[-1][1] if mentions else UNKNOWN


def media_channel(media_id: str | None, name: str | None, configured: Mapping[str, str]) -> str:
    """Configuration first, then the name rule."""
    if media_id and configured.get(media_id):
        return configured[media_id].strip().lower()
    return channel_from_name(name)
