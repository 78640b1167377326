"""The no-personal-data check's value scan finds IPs and e-mails in any string column (and in
string arrays), reports counts per column and never the values themselves."""

from __future__ import annotations

from wistia_assets.transforms.pii import personal_value_counts


def test_scan_counts_ip_and_email_looking_values_per_column(spark):
    frame = spark.createDataFrame(
        [
            ("ok", "https://example.com/a", ["x"], 1),
            ("10.1.2.3", "https://example.com/?u=jane%40example.com", ["y"], 2),
            ("2001:db8::1", "fine", ["bob@example.org"], 3),
            ("fe80::", "Chrome 120.0.6099.109", [], 4),
        ],
        "a string, b string, tags array<string>, n int",
    )
    counts = personal_value_counts(frame)
    assert counts == {"a": 3, "b": 1, "tags": 1}
    assert all(isinstance(v, int) for v in counts.values())


def test_scan_of_clean_frame_is_empty(spark):
    frame = spark.createDataFrame(
        [("US", "Chrome", "120.0.6099", "2026-11-20")],
        "country string, b string, v string, d string",
    )
    assert personal_value_counts(frame) == {}


def test_browser_versions_that_look_like_ips_are_not_personal_data(spark):
    # Chrome's reduced user agent: every version is a dotted quad. Still scanned for e-mails.
    frame = spark.createDataFrame(
        [("131.0.0.0", "10.0.0.1"), ("a@example.com", "x")], "browser_version string, org string"
    )
    assert personal_value_counts(frame) == {"browser_version": 1, "org": 1}
