"""The results table (markdown, printed) and a JSON dump for docs/RELIABILITY.md."""

from __future__ import annotations

import json
from dataclasses import asdict

from reliability.matrix import CaseResult
from reliability.suite import machine


def results_table(results: list[CaseResult]) -> str:
    lines = [
        "| case | result | runs | requests | faults injected | retries | wall s |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| `{r.name}` | {'pass' if r.passed else '**FAIL**'} | {len(r.runs)} | "
            f"{r.requests} | {r.injected} | {r.retries} | {r.seconds:.0f} |"
        )
    return "\n".join(lines)


def print_results(results: list[CaseResult]) -> None:
    print()
    print(results_table(results))
    print()
    for r in results:
        for note in r.notes:
            print(f"- `{r.name}`: {note}")
        for failure in r.failures:
            print(f"- `{r.name}` FAILED: {failure}")
    info = machine()
    total = sum(r.seconds for r in results)
    passed = sum(r.passed for r in results)
    print()
    print(
        f"{passed}/{len(results)} cases passed in {total:.0f} s on {info['cpu']}, {info['memory']}"
    )


def write_json(results: list[CaseResult], path: str) -> None:
    payload = {
        "machine": machine(),
        "cases": [
            {
                **{k: v for k, v in asdict(r).items() if k != "runs"},
                "requests": r.requests,
                "injected": r.injected,
                "retries": r.retries,
                "runs": [
                    {k: v for k, v in asdict(run).items() if k != "metadata"} for run in r.runs
                ],
            }
            for r in results
        ],
    }
    with open(path, "w") as out:
        json.dump(payload, out, indent=2, default=str)
