"""Event records as `/stats/events.json` returns them, in both payload eras.

A record is a pure function of (seed, media, event_key, received_at, percent_viewed): the
timeline decides *when* an event happened and how much of the video it covered (dealt from the
media's engagement table, `engagement_table`), this module decides everything else. Visitors are
shared across media and days (a Zipf-like pool), so the same person comes back with the same
visitor_key, ip and browser, as in real traffic; a media's `Audience` decides which of them it
draws (its countries, its device mix).

Eras (as Wistia's Stats API v1 documents the event object): the legacy payload has
`received_at` without milliseconds, an int `conversion_type`, `conversion_data: ""`, a region
code and `email` absent or null; the current payload has milliseconds, a string
`conversion_type`, an object `conversion_data`, `user_agent_details`, and now and then a field
the pipeline does not know (`attributes`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from urllib.parse import quote

from wistia_assets.sandbox.media import Audience, SandboxMedia, media_thumbnail
from wistia_assets.sandbox.randomness import Draws, derive

LEGACY_SHARE = 0.3
VISITOR_POOL = 40_000

# percent_viewed is dealt from a fixed table of 1,000 quantiles (ten-thousandths), so a day's
# total watch time is a closed-form sum over the table instead of a walk over its events.
PV_LEVELS = 1000


def _quantile_e4(q: float, bounce: float = 0.22, complete: float = 0.28) -> int:
    if q < bounce:  # bounced within the first seconds
        value = 0.01 + 0.11 * q / bounce
    elif q < 1 - complete:  # dropped off somewhere in the middle
        value = 0.12 + 0.83 * ((q - bounce) / (1 - bounce - complete)) ** 1.3
    else:  # watched to the end
        value = 1.0
    return round(value * 10_000)


@lru_cache(maxsize=256)
def _table(bounce: float, complete: float) -> tuple[int, ...]:
    return tuple(_quantile_e4((r + 0.5) / PV_LEVELS, bounce, complete) for r in range(PV_LEVELS))


# The media-neutral curve (Audience's defaults).
PV_TABLE_E4: tuple[int, ...] = _table(0.22, 0.28)


def engagement_table(media: SandboxMedia, day: date) -> tuple[int, ...]:
    """The 1,000 percent_viewed quantiles (ten-thousandths) of a media's sessions that day."""
    audience = media.audience
    return _table(audience.bounce, audience.complete_on(day))


def percent_viewed_e4(rank: int, total: int, table: tuple[int, ...] = PV_TABLE_E4) -> int:
    """The value dealt to the event holding `rank` in a day's shuffled order of `total` events."""
    return table[rank * PV_LEVELS // total]


def percent_viewed_sum_e4(total: int, table: tuple[int, ...] = PV_TABLE_E4) -> int:
    """Sum of percent_viewed_e4(r, total, table) over every r, in O(min(total, 1000))."""
    if total <= PV_LEVELS:
        return sum(percent_viewed_e4(r, total, table) for r in range(total))
    # Level r is dealt to the ranks j with r*total/1000 <= j < (r+1)*total/1000.
    return sum(
        level * (_ceil_div((r + 1) * total, PV_LEVELS) - _ceil_div(r * total, PV_LEVELS))
        for r, level in enumerate(table)
    )


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


# (country, region name, region code, city, lat, lon, orgs). The empty row is an ip that
# geolocates to the country only, which real feeds do carry.
LOCATIONS = (
    ("US", "Florida", "FL", "Miami", 25.7617, -80.1918, ("Comcast Cable", "AT&T Internet")),
    ("US", "Washington", "WA", "Seattle", 47.6062, -122.3321, ("Comcast Cable", "Amazon.com")),
    ("US", "New York", "NY", "Brooklyn", 40.6782, -73.9442, ("Verizon Fios", "Spectrum")),
    ("US", "Texas", "TX", "Austin", 30.2672, -97.7431, ("AT&T Internet", "Google Fiber")),
    ("US", "California", "CA", "San Francisco", 37.7749, -122.4194, ("Comcast Cable", "Sonic")),
    ("US", "", "", "", 37.751, -97.822, ("T-Mobile USA",)),
    ("CA", "Ontario", "ON", "Toronto", 43.6532, -79.3832, ("Rogers Cable", "Bell Canada")),
    ("GB", "England", "ENG", "London", 51.5074, -0.1278, ("BT", "Virgin Media")),
    ("DE", "Berlin", "BE", "Berlin", 52.52, 13.405, ("Deutsche Telekom AG", "Vodafone GmbH")),
    ("DE", "Bavaria", "BY", "München", 48.1351, 11.582, ("Deutsche Telekom AG", "M-net")),
    ("FR", "Île-de-France", "IDF", "Paris", 48.8566, 2.3522, ("Orange", "Free SAS")),
    ("BR", "São Paulo", "SP", "São Paulo", -23.5505, -46.6333, ("Vivo", "Claro NXT")),
    ("IN", "Karnataka", "KA", "Bengaluru", 12.9716, 77.5946, ("Reliance Jio", "Airtel")),
    ("AU", "New South Wales", "NSW", "Sydney", -33.8688, 151.2093, ("Telstra", "TPG")),
    ("JP", "Tokyo", "13", "Tokyo", 35.6762, 139.6503, ("NTT", "KDDI")),
)
BROWSERS = (
    ("Chrome", "131.0.0.0", "Windows", False),
    ("Chrome", "130.0.6723.117", "Mac OS X", False),
    ("Safari", "17.6", "Mac OS X", False),
    ("Mobile Safari", "18.1", "iOS", True),
    ("Firefox", "132.0", "Linux", False),
    ("Edge", "131.0.2903.70", "Windows", False),
    ("Chrome Mobile", "131.0.6778.81", "Android", True),
    ("Samsung Internet", "26.0", "Android", True),
    ("Facebook", "489.0.0.45.109", "iOS", True),
)
FIRST_NAMES = ("Jane", "Omar", "Mei", "Lukas", "Ana", "Kwame", "Priya", "Sofía", "Noah", "Aiko")
LAST_NAMES = ("Doe", "Haddad", "Chen", "Schmidt", "Oliveira", "Mensah", "Iyer", "García", "Kim")
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
IPV4_FIRST_OCTETS = (24, 50, 67, 73, 76, 81, 86, 92, 98, 104, 174, 177, 187, 201, 212, 217)
CONVERSION_TYPES = ("pre-roll-email", "mid-roll-email", "post-roll-email")


@lru_cache(maxsize=65_536)
def _visitor(seed: int, number: int) -> dict:
    draws = Draws(derive(seed, "visitor", number))
    location = draws.pick(LOCATIONS)
    if draws.chance(0.12):
        groups = ":".join(f"{draws.below(0x10000):x}" for _ in range(4))
        ip = f"2001:db8:{draws.below(0x10000):x}:{draws.below(0x10000):x}:{groups}"
    else:
        octets = [draws.pick(IPV4_FIRST_OCTETS)] + [draws.below(256) for _ in range(3)]
        ip = ".".join(str(o) for o in octets)
    first, last = draws.pick(FIRST_NAMES), draws.pick(LAST_NAMES)
    identified = draws.chance(0.18)
    email = f"{first}.{last}{draws.below(100)}@{draws.pick(EMAIL_DOMAINS)}".lower()
    hx = draws.hex(32)
    return {
        "visitor_key": f"v2025{draws.below(12) + 1:02d}{draws.below(28) + 1:02d}_"
        f"{hx[:8]}-{hx[8:12]}-{hx[12:16]}-{hx[16:20]}-{hx[20:]}",
        "ip": ip,
        "org": draws.pick(location[6]),
        "location": location,
        "lat": round(location[4] + draws.between(-0.05, 0.05), 4),
        "lon": round(location[5] + draws.between(-0.05, 0.05), 4),
        "browser": draws.pick(BROWSERS),
        "email": email if identified else None,
        "first_name": first,
        "last_name": last,
    }


# Draws before a media's audience settles for the visitor it has (rejection sampling).
AUDIENCE_ATTEMPTS = 12


def _utc_day(time_ms: int) -> date:
    return datetime.fromtimestamp(time_ms / 1000, tz=UTC).date()


def _audience_visitor(seed: int, draws: Draws, audience: Audience, day: date) -> dict:
    """A visitor from the shared pool, kept with a probability proportional to the audience's
    weight of their country and device: the media's geography and device mix, while a person
    who watches two media stays the same person. The neutral audience keeps the first draw."""
    number = int(VISITOR_POOL * draws.unit() ** 2.5)
    if not audience.shapes_visitors:
        return _visitor(seed, number)
    mobile = audience.mobile_on(day)
    ceiling = max(w for _, w in (*audience.countries, ("", 1.0))) * max(mobile, 1.0)
    for _ in range(AUDIENCE_ATTEMPTS):
        visitor = _visitor(seed, number)
        weight = audience.country_weight(visitor["location"][0])
        weight *= mobile if visitor["browser"][3] else 1.0
        if draws.unit() * ceiling < weight:
            return visitor
        number = int(VISITOR_POOL * draws.unit() ** 2.5)
    return _visitor(seed, number)


def _channel_source(media: SandboxMedia) -> str:
    name = media.name.upper()
    if name.endswith("YT"):
        return "youtube"
    if name.endswith("FB"):
        return "facebook"
    return "newsletter"


def _embed_url(draws: Draws, media: SandboxMedia, email: str | None) -> str:
    page = draws.pick(
        (
            "https://www.example.com/product-launch",
            "https://www.example.com/",
            "https://blog.example.com/2025/03/launch-teaser",
            "https://shop.example.com/pages/new-arrivals",
        )
    )
    roll = draws.unit()
    source = _channel_source(media)
    if roll < 0.5:
        return page
    if roll < 0.8:
        return f"{page}?utm_source={source}&utm_medium=video&utm_campaign=launch"
    if roll < 0.9 and email:
        # Landing pages that echo the address from a newsletter link: personal data in the URL.
        return f"{page}?email={quote(email, safe='')}&utm_source={source}"
    return f"{page}?fbclid=IwAR{draws.hex(24)}" if source == "facebook" else f"{page}?ref=embed"


def received_at_text(time_ms: int, legacy: bool) -> str:
    moment = datetime.fromtimestamp(time_ms / 1000, tz=UTC)
    if legacy:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{time_ms % 1000:03d}Z"


def render_event(
    *, seed: int, media: SandboxMedia, event_key: str, time_ms: int, pv_e4: int
) -> dict:
    """One event record; key order and value types follow the era the event falls in."""
    draws = Draws(derive(seed, "event", event_key))
    legacy = draws.chance(LEGACY_SHARE)
    visitor = _audience_visitor(seed, draws, media.audience, _utc_day(time_ms))
    country, region_name, region_code, city = visitor["location"][:4]
    email = visitor["email"] if draws.chance(0.8) else None
    record: dict = {
        "received_at": received_at_text(time_ms, legacy),
        "event_key": event_key,
        "ip": visitor["ip"],
        "org": visitor["org"],
        "country": country,
        "region": region_code if legacy else region_name,
        "city": city,
        "lat": visitor["lat"],
        "lon": visitor["lon"],
    }
    if legacy:
        if draws.chance(0.5):
            record["email"] = None  # otherwise absent, as in the oldest payloads
    else:
        record["email"] = email
    record["percent_viewed"] = pv_e4 / 10_000
    record["embed_url"] = _embed_url(draws, media, visitor["email"])
    converted = visitor["email"] is not None and draws.chance(0.25)
    if legacy:
        record["conversion_type"] = 1 + draws.below(3) if converted else 0
        record["conversion_data"] = ""
    elif converted:
        record["conversion_type"] = draws.pick(CONVERSION_TYPES)
        record["conversion_data"] = {
            "email": visitor["email"],
            "first_name": visitor["first_name"],
            "last_name": visitor["last_name"],
            "is_new_lead": draws.chance(0.6),
        }
    else:
        record["conversion_type"] = ""
        record["conversion_data"] = {}
    record["iframe_heatmap_url"] = (
        f"https://api.wistia.com/v1/stats/events/{event_key}/iframe.html"
        f"?public_token={_public_token(seed)}"
    )
    record["visitor_key"] = visitor["visitor_key"]
    if not legacy:
        browser, version, platform, mobile = visitor["browser"]
        record["user_agent_details"] = {
            "browser": browser,
            "browser_version": version,
            "platform": platform,
            "mobile": mobile,
        }
    record["media_id"] = media.hashed_id
    record["media_name"] = media.name
    record["media_url"] = media.url
    record["thumbnail"] = media_thumbnail(media, seed)
    if not legacy and draws.chance(0.06):
        # A field newer than the pipeline: must be carried in Bronze and reported, not fatal.
        record["attributes"] = {
            "player_version": "v2",
            "autoplay": draws.chance(0.3),
            "muted": draws.chance(0.5),
        }
    return record


BAD_KINDS = ("missing_event_key", "unparsable_received_at", "percent_viewed_out_of_range")


def break_record(record: dict, draws: Draws) -> dict:
    """Damage a record the way a schema-breaking payload would (bad fault): not ground truth."""
    kind = draws.pick(BAD_KINDS)
    broken = dict(record)
    if kind == "missing_event_key":
        del broken["event_key"]
    elif kind == "unparsable_received_at":
        broken["received_at"] = draws.pick(
            (broken["received_at"][:10] + " 25:61:07", "not-a-date", "")
        )
    else:
        broken["percent_viewed"] = 250
    return broken


@lru_cache(maxsize=64)
def _public_token(seed: int) -> str:
    return Draws(derive(seed, "public-token")).hex(32)
