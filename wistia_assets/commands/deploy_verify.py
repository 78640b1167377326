"""`wistia-assets deploy verify`: run once after a deploy, with the operator's credentials.

Each step proves one thing on the account that tests against moto cannot (steps.py). Prints one
row per step; exit 0 when every step passed, 1 when any failed, 2 for bad input. Needs the
platform stack's `DeployVerifyOperatorPolicy` (deploy/README.md, "First day").
"""

from __future__ import annotations

import argparse
import re

from wistia_assets.settings import ConfigError

STACK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,127}$")


def add_parser(deploy_commands) -> None:
    v = deploy_commands.add_parser(
        "verify", help="prove the deployed stacks work on the account (run once after a deploy)"
    )
    v.add_argument("--data-stack", default="wistia-data", help="data stack name (wistia-data)")
    v.add_argument(
        "--platform-stack", default="wistia-platform", help="platform stack name (wistia-platform)"
    )
    v.add_argument(
        "--timeout",
        type=float,
        default=900.0,
        help="seconds each ECS task, Glue run or query may take (900)",
    )


def check_args(args: argparse.Namespace) -> None:
    for option, name in (
        ("--data-stack", args.data_stack),
        ("--platform-stack", args.platform_stack),
    ):
        if not STACK_NAME.fullmatch(name):
            raise ConfigError(f"{option} {name!r}: not a CloudFormation stack name")
    if not args.timeout > 0:
        raise ConfigError(f"--timeout {args.timeout}: give a positive number of seconds")


def main(args: argparse.Namespace, client=None, http=None) -> int:
    import httpx

    from wistia_assets.aws import aws_client
    from wistia_assets.verification import steps

    check_args(args)
    client = client or aws_client
    outputs = steps.Outputs.of_stacks(
        client("cloudformation"), args.data_stack, args.platform_stack
    )
    with http or httpx.Client(timeout=30.0) as session:
        ctx = steps.Context(outputs=outputs, aws=client, http=session, timeout=args.timeout)
        outcomes = steps.run(ctx)
    print(steps.table(outcomes))
    failed = [o.step.name for o in outcomes if not o.passed]
    print(f"{len(outcomes) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0
