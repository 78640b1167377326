"""The CLI's commands, one module each; `dispatch` routes parsed arguments to them."""

from __future__ import annotations

import argparse


def dispatch(args: argparse.Namespace) -> int:
    if args.command in ("run", "rerun"):
        from wistia_assets.commands import materialize

        return materialize.main(args)
    if args.command == "watermark":
        from wistia_assets.commands import watermark

        return watermark.main(args)
    if args.command == "query":
        from wistia_assets.commands import query

        return query.main(args)
    if args.command == "doctor":
        from wistia_assets.commands import doctor

        return doctor.main(args)
    if args.command == "report":
        from wistia_assets.commands import report

        return report.main(args)
    if args.command == "sandbox":
        from wistia_assets.commands import sandbox

        return sandbox.main(args)
    if args.command == "erase":
        from wistia_assets.commands import erase

        return erase.main(args)
    if args.command == "retention":
        from wistia_assets.commands import retention

        return retention.main(args)
    if args.command == "deploy":
        if args.deploy_command == "verify":
            from wistia_assets.commands import deploy_verify

            return deploy_verify.main(args)
        from wistia_assets.commands import package_glue

        return package_glue.main(args)
    raise ValueError(f"unknown command {args.command!r}")
