"""IAM policy evaluation for identity policies: explicit deny, then allow, else implicit deny.

Not moto's evaluator (`moto.iam.access_control`): it evaluates only `StringEquals`, passes every
other condition operator (an `ArnEquals` on `ecs:cluster` would hold for any cluster), and turns
an Allow whose condition does not match into an explicit deny. Operators this evaluator does not
know raise, so a template that starts using one fails the test instead of passing it.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Request:
    """One IAM authorization AWS makes: an action on a resource, with its context keys."""

    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()

    def value(self, key: str) -> str | None:
        for k, v in self.context:
            if k.lower() == key.lower():
                return v
        return None

    def __str__(self) -> str:
        keys = ", ".join(f"{k}={v}" for k, v in self.context)
        return f"{self.action} on {self.resource}" + (f" [{keys}]" if keys else "")


@dataclass
class Statement:
    role: str
    sid: str
    raw: dict[str, Any]
    used_by: list[Request] = field(default_factory=list)

    def actions(self) -> list[str]:
        return _list(self.raw.get("Action"))


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _glob(pattern: str, value: str, *, case: bool = True) -> bool:
    if not case:
        pattern, value = pattern.lower(), value.lower()
    return re.fullmatch(fnmatch.translate(pattern), value) is not None


def _string_test(operator: str, expected: str, actual: str) -> bool:
    if operator.startswith("StringEqualsIgnoreCase"):
        return expected.lower() == actual.lower()
    if operator.startswith(("StringEquals", "ArnEquals")) and "*" not in expected:
        return expected == actual
    if operator.startswith(("StringLike", "ArnLike", "ArnEquals")):
        return _glob(expected, actual)
    if operator.startswith("Bool"):
        return str(expected).lower() == str(actual).lower()
    raise ValueError(f"unsupported condition operator {operator}: extend wistia_assets_tests/iam")


POSITIVE = ("StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike", "Bool")
NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotLike": "StringLike",
    "ArnNotLike": "ArnLike",
}


def conditions_hold(condition: dict[str, dict[str, Any]], request: Request) -> bool:
    for operator, tests in condition.items():
        # A request here carries one value per key (DynamoDB's LeadingKeys: the item's partition
        # key), so "every value is one of" is the plain test on that value.
        base = operator.removeprefix("ForAllValues:").removesuffix("IfExists")
        for key, expected in tests.items():
            actual = request.value(key)
            if actual is None:
                if operator.endswith("IfExists") or base in NEGATED:
                    continue
                return False
            if base in NEGATED:
                if any(_string_test(NEGATED[base], str(e), actual) for e in _list(expected)):
                    return False
            elif base in POSITIVE:
                if not any(_string_test(base, str(e), actual) for e in _list(expected)):
                    return False
            else:
                raise ValueError(
                    f"unsupported condition operator {operator}: extend wistia_assets_tests/iam"
                )
    return True


def matches(statement: dict[str, Any], request: Request) -> bool:
    if "NotAction" in statement or "NotResource" in statement:
        raise ValueError("NotAction/NotResource: extend wistia_assets_tests/iam/policy.py")
    if not any(_glob(a, request.action, case=False) for a in _list(statement.get("Action"))):
        return False
    if not any(_glob(r, request.resource) for r in _list(statement.get("Resource"))):
        return False
    return conditions_hold(statement.get("Condition") or {}, request)


def decide(statements: list[Statement], request: Request) -> list[Statement] | None:
    """The Allow statements that grant `request`, or None when it is denied."""
    relevant = [s for s in statements if matches(s.raw, request)]
    if any(s.raw["Effect"] == "Deny" for s in relevant):
        return None
    allows = [s for s in relevant if s.raw["Effect"] == "Allow"]
    return allows or None
