"""`wistia-assets doctor`: the read-only preflight of the account (see `wistia_assets.doctor`).

Exit 0 when the API behaves as the pipeline is configured, 1 with the setting(s) to change (or a
check that could not be verified), 2 for bad input: a malformed setting or argument. The token is
never printed: the report shows the base URL, media ids, dates and counts only.
"""

from __future__ import annotations

import argparse
import logging
from datetime import UTC, datetime, timedelta

from wistia_assets.settings import ConfigError, Settings, env_name, parse_date, parse_media_id

# Wistia keeps two years of events: a day older than that has nothing to probe.
RETENTION_DAYS = 730


def main(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    today = datetime.now(UTC).date()
    day = None
    if args.date:
        day = parse_date(args.date, source="--date")
        if day >= today - timedelta(days=1):
            raise ConfigError(
                f"--date {day} is too recent: the day after it must be over too (UTC); "
                f"use {today - timedelta(days=2)} or earlier"
            )
        if day < today - timedelta(days=RETENTION_DAYS - 1):
            raise ConfigError(f"--date {day} is older than Wistia keeps events (two years)")
    media_id = parse_media_id(args.media_id, source="--media-id") if args.media_id else None
    if media_id is not None and media_id not in settings.media_ids:
        raise ConfigError(
            f"--media-id {media_id} is not configured "
            f"({env_name(Settings, 'media_ids')}: {', '.join(settings.media_ids)})"
        )

    from wistia_assets.doctor import examine, render

    # The client's own warnings (a page past the end that fails, a retried 503) belong to what
    # the doctor measures; its table says what they mean.
    quiet = logging.getLogger("wistia_assets.doctor")
    quiet.setLevel(logging.ERROR)
    with _client(settings, quiet) as client:
        report = examine(settings, client, today=today, day=day, media_id=media_id)
    print(render(report), end="")
    return report.exit_code


def _client(settings: Settings, log: logging.Logger):
    """The client the pipeline would use: the embedded sandbox without a token (as the local
    deployment's resource opens it), else the configured API with the shared rate budget."""
    if settings.uses_sandbox:
        from wistia_assets.deployments import wistia_resource

        return wistia_resource(settings).open_client(log)
    from wistia_assets.wistia import WistiaClient

    return WistiaClient(settings, logger=log)
