"""The results table (markdown, printed) and a JSON dump for docs/RELIABILITY.md."""

from __future__ import annotations

import json

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
    fields = ("name", "title", "asserts", "group", "passed", "seconds", "failures", "notes")
    run_fields = ("label", "success", "seconds", "requests", "injected", "retries", "error")
    payload = {
        "machine": machine(),
        "cases": [
            {
                **{k: getattr(r, k) for k in fields},
                "requests": r.requests,
                "injected": r.injected,
                "retries": r.retries,
                "runs": [{k: getattr(run, k) for k in run_fields} for run in r.runs],
            }
            for r in results
        ],
    }
    with open(path, "w") as out:
        json.dump(payload, out, indent=2, default=str)
