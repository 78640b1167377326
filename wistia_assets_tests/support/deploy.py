"""deploy/ read as the stacks and the ECS tasks read it: CloudFormation templates with their
intrinsic functions, the instance's dagster.yaml and the environment the task definitions set."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parents[2]
CFN = ROOT / "deploy" / "cloudformation"


def cfn_template(name: str) -> dict[str, Any]:
    """deploy/cloudformation/`name` as plain JSON values: cfn-lint's decoder reads the short
    forms of the intrinsic functions (`!Sub`, `!GetAtt`...) that yaml.safe_load refuses, and
    fails here, naming them, on a template it cannot read. The one loader of every test."""
    body, errors = decode(str(CFN / name))
    assert not errors, errors
    return json.loads(json.dumps(body))


DEPLOY = ROOT / "deploy"


def requirement_lines(path: Path) -> list[str]:
    """A requirements file as pip reads it: each requirement on one line with its options
    (continuations joined, comments and blank lines dropped, white space folded)."""
    text = re.sub(r"\\\n\s*", " ", path.read_text())
    lines = [" ".join(line.split("#", 1)[0].split()) for line in text.splitlines()]
    return [line for line in lines if line]


INSTANCE_YAML = DEPLOY / "dagster.yaml"
ECS_ENV = {
    "DAGSTER_PG_HOST": "db.example.internal",
    "DAGSTER_PG_USERNAME": "dagster",
    "DAGSTER_PG_PASSWORD": "not-a-real-password",
    "DAGSTER_PG_DB": "dagster",
    "DAGSTER_COMPUTE_LOGS_BUCKET": "configtest-compute-logs",
    "DAGSTER_CODE_SERVER_HOST": "code.wistia.internal",
}


def instance_config() -> dict:
    return yaml.safe_load(INSTANCE_YAML.read_text())
