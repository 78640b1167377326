"""Printed by a one-off ECS task of `deploy verify`: the identity the task's role gives it.

`python -m wistia_assets.verification.identity` (the image's entrypoint runs any command) asks STS
who it is, which needs no permission: the answer names the role ECS assumed for the task, and the
line lands in the task definition's log group, where `deploy verify` reads it.
"""

from __future__ import annotations

from typing import Any

LINE = "wistia-assets identity:"


def describe(sts: Any) -> str:
    return f"{LINE} {sts.get_caller_identity()['Arn']}"


def role_of(line: str) -> str | None:
    """The role name in a printed line (`...:assumed-role/<role>/<session>`), else None."""
    if not line.startswith(LINE):
        return None
    arn = line.removeprefix(LINE).strip()
    _, _, resource = arn.partition(":assumed-role/")
    return resource.split("/", 1)[0] or None


def main() -> int:
    from wistia_assets.aws import aws_client

    print(describe(aws_client("sts")), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
