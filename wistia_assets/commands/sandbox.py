"""`wistia-assets sandbox serve`: the built-in Wistia API on a loopback port, for real-HTTP tests
and for pointing `WISTIA_BASE_URL` at something Wistia-compatible without an account."""

from __future__ import annotations

import argparse


def main(args: argparse.Namespace) -> int:
    from wistia_assets.sandbox import run_forever

    run_forever(
        args.host,
        args.port,
        token=args.token,
        media_only_token=args.media_only_token,
        seed=args.seed,
        faults=args.faults,
        events_per_day=args.events_per_day,
        day_offset_hours=args.day_offset_hours,
        account_timezone=args.account_timezone,
        events_window=args.events_window,
        past_end=args.past_end,
        hours_watched=args.hours_watched,
        throttle_status=args.throttle_status,
    )
    return 0
