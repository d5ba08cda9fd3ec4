"""Benchmarks (docs/performance.md): `make bench` runs every case on PostgreSQL and Redis
and prints each figure beside its naive baseline, measured in the same run."""
