"""Speed and query-count benchmarks for wagtail-pmolib: see README.md, run ``run.py``."""
