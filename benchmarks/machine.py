"""What the numbers were measured on: they only compare with numbers from the same machine."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def _first(path: str, key: str) -> str | None:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        name, sep, value = line.partition(":" if ":" in line else "=")
        if sep and name.strip() == key:
            return value.strip().strip('"')
    return None


def describe() -> str:
    """One paragraph: CPUs and model, RAM, Python, OS."""
    model = _first("/proc/cpuinfo", "model name") or platform.processor() or "unknown CPU"
    mem_kb = _first("/proc/meminfo", "MemTotal")
    ram = f"{int(mem_kb.split()[0]) / 1024 / 1024:.1f} GiB RAM" if mem_kb else "RAM unknown"
    distro = _first("/etc/os-release", "PRETTY_NAME") or platform.system()
    return (
        f"{os.cpu_count()} CPU ({model}), {ram}, Python {platform.python_version()} "
        f"({platform.python_implementation()}), {distro}, kernel {platform.release()}"
    )


def load() -> str:
    """The 1/5/15-minute load averages: a run next to a busy neighbour shows it here."""
    try:
        return "/".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def available_gib() -> float:
    """Memory the kernel could hand out now (MemAvailable): a big run next to others' Spark
    sessions needs headroom, and a run that swapped or was squeezed is not a measurement."""
    kb = _first("/proc/meminfo", "MemAvailable")
    return int(kb.split()[0]) / 1024 / 1024 if kb else float("nan")
