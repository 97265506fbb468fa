"""Benchmarks: ``python -m bench`` (see bench/__main__.py). Not timed tests: they
print figures and ratios measured in one run, on PostgreSQL, in a database of their
own that they create and drop."""

import os

BENCH_DB_ENV = "GONGGUAN_BENCH_DB"
DEFAULT_BENCH_DB = "gongguan_bench"


def bench_db(own: str) -> str:
    """The name of a database a module creates for itself: ``own`` when the module runs
    alone, ``<runner's --db>_<own without its gg_bench_ prefix>`` under ``python -m bench``,
    so two runs with different ``--db`` never share one."""
    runner = os.environ.get(BENCH_DB_ENV)
    if not runner:
        return own
    return f"{runner}_{own.removeprefix('gg_bench_')}"
