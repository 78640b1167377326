"""Count the warnings Dagster raises while the code location loads (`wistia_assets.defs`) and
its definitions resolve, by kind: what a user sees in `dg dev`'s or `dagster dev`'s log.

    python scripts/count_dagster_warnings.py              # what a user sees
    python scripts/count_dagster_warnings.py --unsilenced # also what the code silences
"""

from __future__ import annotations

import collections
import sys
import warnings


def main() -> int:
    unsilenced = "--unsilenced" in sys.argv
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if unsilenced:  # the package's own `simplefilter("ignore", ...)` calls do nothing
            warnings.simplefilter = lambda *args, **kwargs: None  # type: ignore[assignment]
        from wistia_assets import defs

        defs.resolve_asset_graph()
        defs.resolve_all_job_defs()
        for sensor in defs.sensors or []:
            defs.resolve_sensor_def(sensor.name)
    kinds: collections.Counter[str] = collections.Counter()
    seen = set()
    for w in caught:
        text = f"{w.category.__name__}: {str(w.message).splitlines()[0]}"
        if text in seen:
            continue
        seen.add(text)
        kinds[w.category.__name__] += 1
        print(text)
    print("total", sum(kinds.values()), dict(sorted(kinds.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
