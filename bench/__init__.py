"""Benchmarks: ``python -m bench`` (see bench/__main__.py). Not timed tests: they
print figures and ratios measured in one run, on PostgreSQL, in a database of their
own that they create and drop."""
