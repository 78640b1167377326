"""The media the sandbox serves, their audiences and their `/medias/{id}.json` documents.

Names end in the channel abbreviations (`YT`, `FB`) that dim_media's fallback understands,
because the real API has no channel field.

Each default media has its own `Audience`, so that the media report shows real differences in
the simulated data: how far viewers watch (the engagement curve), where they are, what device
they watch on, how often a load becomes a play, and a trend over a 28-day campaign cycle (the
YouTube teaser keeps more viewers as the cycle goes on, the Facebook one is watched more and
more on phones). Everything is a pure function of the seed, the media and the day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from wistia_assets.sandbox.randomness import Draws, derive
from wistia_assets.settings import SANDBOX_MEDIA_IDS, parse_media_id

CAMPAIGN_DAYS = 28


def campaign_phase(day: date) -> float:
    """0.0 on the first day of a 28-day campaign cycle, 1.0 on its last."""
    return (day.toordinal() % CAMPAIGN_DAYS) / (CAMPAIGN_DAYS - 1)


@dataclass(frozen=True)
class Audience:
    """Who watches a media. The defaults are the sandbox's original, media-neutral audience.

    - `bounce`: share of sessions that leave within the first seconds (0.01-0.12 watched);
      `complete`: share that watch to the end; the rest drop off somewhere in between.
    - `countries`: weight of a visitor from that country (ISO code) relative to 1.0.
    - `mobile`: weight of a visitor on a mobile device relative to one on a desktop.
    - `loads_per_play`: range of extra loads per play, picked per day (play rate 1/(1+x)).
    - `complete_trend`, `mobile_trend`: how `complete` and `mobile` change from the first to
      the last day of the campaign cycle (linearly).
    """

    bounce: float = 0.22
    complete: float = 0.28
    countries: tuple[tuple[str, float], ...] = ()
    mobile: float = 1.0
    loads_per_play: tuple[float, float] = (0.2, 1.1)
    complete_trend: float = 0.0
    mobile_trend: float = 0.0

    def __post_init__(self) -> None:
        if not (self.bounce > 0 and self.complete > 0 and self.bounce + self.complete < 0.9):
            raise ValueError("Audience: bounce and complete must be positive, together < 0.9")

    @property
    def shapes_visitors(self) -> bool:
        return bool(self.countries) or self.mobile != 1.0 or self.mobile_trend != 0.0

    def complete_on(self, day: date) -> float:
        value = self.complete + self.complete_trend * campaign_phase(day)
        return round(min(0.9 - self.bounce, max(0.01, value)), 4)

    def mobile_on(self, day: date) -> float:
        return max(0.05, self.mobile + self.mobile_trend * campaign_phase(day))

    def country_weight(self, country: str) -> float:
        return dict(self.countries).get(country, 1.0)


@dataclass(frozen=True)
class SandboxMedia:
    hashed_id: str
    id: int
    name: str
    duration: float  # seconds
    created: datetime
    project_name: str
    project_id: int = 4_181_906
    project_hashed_id: str = "prj7h2v9xq"
    description: str = ""
    updated: datetime | None = None
    tags: tuple[str, ...] = ()
    # None: the sandbox-wide setting. An int or an inclusive (lo, hi) range picked per day.
    events_per_day: int | tuple[int, int] | None = None
    status: str = "ready"
    type: str = "Video"
    archived: bool = False
    audience: Audience = Audience()

    def __post_init__(self) -> None:
        parse_media_id(self.hashed_id, source="SandboxMedia.hashed_id")
        if self.duration <= 0:
            raise ValueError("SandboxMedia.duration must be positive (seconds)")
        if self.created.tzinfo is None:
            raise ValueError("SandboxMedia.created must be timezone-aware (UTC)")

    @property
    def url(self) -> str:
        return f"https://home.wistia.com/medias/{self.hashed_id}"


DEFAULT_MEDIA: tuple[SandboxMedia, ...] = (
    SandboxMedia(
        hashed_id=SANDBOX_MEDIA_IDS[0],
        id=118_842_207,
        name="Product Launch Teaser YT",
        duration=94.56,
        created=datetime(2025, 3, 4, 15, 42, 9, tzinfo=UTC),
        updated=datetime(2025, 3, 6, 9, 12, 40, tzinfo=UTC),
        project_name="Product Launch 2025",
        description="<p>45-second cut of the launch teaser, published on YouTube.</p>",
        tags=("launch", "teaser", "youtube"),
        # Searchers who chose to watch: few bounce, many finish, more so as the cycle goes on;
        # North America and India, mostly on desktops; most loads become plays.
        audience=Audience(
            bounce=0.12,
            complete=0.30,
            complete_trend=0.18,
            countries=(("US", 3.0), ("CA", 2.0), ("IN", 2.0), ("GB", 1.2)),
            mobile=0.6,
            loads_per_play=(0.25, 0.65),
        ),
    ),
    SandboxMedia(
        hashed_id=SANDBOX_MEDIA_IDS[1],
        id=118_842_954,
        name="Product Launch Teaser FB",
        duration=61.2,
        created=datetime(2025, 3, 4, 16, 5, 51, tzinfo=UTC),
        updated=datetime(2025, 3, 11, 13, 30, 2, tzinfo=UTC),
        project_name="Product Launch 2025",
        description="<p>Square cut of the launch teaser for Facebook feeds.</p>",
        tags=("launch", "teaser", "facebook"),
        # A feed that autoplays: many loads per play, many scroll past, few finish; Europe and
        # Brazil, on phones, and more so as the cycle goes on.
        audience=Audience(
            bounce=0.42,
            complete=0.14,
            complete_trend=-0.06,
            countries=(("DE", 3.0), ("FR", 2.5), ("BR", 3.0), ("GB", 2.0), ("US", 0.6)),
            mobile=2.5,
            mobile_trend=2.5,
            loads_per_play=(1.4, 3.2),
        ),
    ),
)


def phantom_media(seed: int) -> SandboxMedia:
    """The "other" media whose events leak into a feed (foreign fault) when only one is served."""
    return SandboxMedia(
        hashed_id=f"frgn{derive(seed, 'phantom') % 36**6:06d}"[:10],
        id=990_000_001,
        name="Webinar Replay (not ingested)",
        duration=1820.0,
        created=datetime(2025, 1, 20, 10, 0, 0, tzinfo=UTC),
        project_name="Webinars",
    )


def media_thumbnail(media: SandboxMedia, seed: int) -> dict:
    """The still both the media object and every event of the media carry."""
    draws = Draws(derive(seed, "media-doc", media.hashed_id))
    url = f"https://embed-ssl.wistia.com/deliveries/{draws.hex(40)}.jpg"
    return {"url": f"{url}?image_crop_resized=200x120", "width": 200, "height": 120}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def media_document(media: SandboxMedia, seed: int) -> dict:
    """The media object as `/medias/{id}.json` returns it (camelCase inside nested objects)."""
    draws = Draws(derive(seed, "media-assets", media.hashed_id))
    still = f"https://embed-ssl.wistia.com/deliveries/{draws.hex(40)}.bin"
    original = f"https://embed-ssl.wistia.com/deliveries/{draws.hex(40)}.bin"
    hd = f"https://embed-ssl.wistia.com/deliveries/{draws.hex(40)}.bin"
    size = int(media.duration * 610_000)
    return {
        "id": media.id,
        "name": media.name,
        "type": media.type,
        "archived": media.archived,
        "created": _iso(media.created),
        "updated": _iso(media.updated or media.created),
        "duration": media.duration,
        "hashed_id": media.hashed_id,
        "description": media.description,
        "progress": 1.0,
        "status": media.status,
        "thumbnail": media_thumbnail(media, seed),
        "project": {
            "id": media.project_id,
            "name": media.project_name,
            "hashedId": media.project_hashed_id,
        },
        "assets": [
            {
                "url": original,
                "width": 1920,
                "height": 1080,
                "fileSize": size,
                "contentType": "video/mp4",
                "type": "OriginalFile",
            },
            {
                "url": hd,
                "width": 1280,
                "height": 720,
                "fileSize": size // 3,
                "contentType": "video/mp4",
                "type": "Mp4VideoFile",
            },
            {
                "url": still,
                "width": 1920,
                "height": 1080,
                "fileSize": 181_337,
                "contentType": "image/jpg",
                "type": "StillImageFile",
            },
        ],
        "tags": [{"name": tag} for tag in media.tags],
    }
