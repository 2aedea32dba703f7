"""Benchmarks: commands that print figures (medians, p95, ratios), never pass/fail."""
