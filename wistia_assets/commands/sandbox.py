"""`wistia-assets sandbox serve`: the built-in Wistia API on a loopback port, for real-HTTP tests
and for pointing `WISTIA_BASE_URL` at something Wistia-compatible without an account.

Its flags beside host, port and tokens are the sandbox model's settings (`SandboxConfig`), one
`--<field-name>` each, made here from the declarations: a knob added to the model is a flag too.
"""

from __future__ import annotations

import argparse

from wistia_assets.sandbox.config import SandboxConfig
from wistia_assets.settings.declaration import declarations


def add_parser(sub) -> None:
    p = sub.add_parser("sandbox", help="the built-in Wistia API simulator")
    ssub = p.add_subparsers(dest="sandbox_command", required=True)
    s = ssub.add_parser("serve", help="serve the sandbox API on loopback HTTP")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8765)
    s.add_argument("--token", help="require this bearer token (default: accept any)")
    s.add_argument(
        "--media-only-token", help="also accept this token for media, answering 403 on stats"
    )
    # Unset flags fall back to the WISTIA_SANDBOX_* variables (README), then to the defaults.
    for flag, (name, declaration) in flags().items():
        default = declaration.default or declaration.documented_default or "unset"
        s.add_argument(
            flag,
            dest=name,
            type=int if _is_int(name) else str,
            help=f"{declaration.help} (else {declaration.env}; default {default})",
        )


def flags() -> dict[str, tuple]:
    """`--events-per-day` -> ("events_per_day", its declaration), for every sandbox setting."""
    return {
        "--" + name.replace("_", "-"): (name, declaration)
        for name, declaration in declarations(SandboxConfig).items()
    }


def _is_int(name: str) -> bool:
    return isinstance(getattr(SandboxConfig(), name), int)


def main(args: argparse.Namespace) -> int:
    from wistia_assets.sandbox import run_forever

    options = {name: getattr(args, name) for name in declarations(SandboxConfig)}
    run_forever(
        args.host, args.port, token=args.token, media_only_token=args.media_only_token, **options
    )
    return 0
