"""The column names of raw personal data, which no Silver table may ever have.

Read by the transforms (which drop them), by the checks built from a build's result (which run in
the aws deployment's ECS tasks, where pyspark is not installed) and by the reliability harness:
so it lives apart from the Spark schemas, with no import at all.
"""

from __future__ import annotations

# Column names that hold raw personal data; none of them may ever reach a Silver table.
FORBIDDEN_SILVER_COLUMNS = frozenset(
    {
        "ip",
        "email",
        "lat",
        "lon",
        "conversion_data",
        "visitor_key",
        "iframe_heatmap_url",
        "thumbnail",
        "media_url",
        "first_name",
        "last_name",
        "is_new_lead",
    }
)
