"""Settings for the benchmarks: the test settings, plus a plain page type to compare with.

``benchmarks/run.py`` sets everything up; these settings are not meant for a server.

- ``DATABASE_URL`` (``run.py --database-url``) names the database server; the
  benchmark never touches the database named in it, but creates its own
  throw-away database next to it (``pmolib_bench``, or ``PMOLIB_BENCH_DB_NAME``)
  through Django's test-database machinery, and drops it at the end. Without it,
  a file-backed SQLite database in the work folder is used.
- ``PMOLIB_BENCH_WORKDIR`` is a throw-away folder for that SQLite file and the
  uploaded documents, images and renditions (``run.py`` makes and removes it).
- oEmbed lookups go to the test suite's stub finder: no network.
- ``DEBUG`` is off and templates are cached, as in production.
"""

import os
import tempfile

import dj_database_url

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS as TEST_INSTALLED_APPS

DEBUG = False

INSTALLED_APPS = ["benchmarks.plainpage", *TEST_INSTALLED_APPS]
ROOT_URLCONF = "benchmarks.urls"

WORK_DIR = os.environ.get("PMOLIB_BENCH_WORKDIR") or os.path.join(
    tempfile.gettempdir(), f"pmolib-bench-{os.getpid()}"
)
MEDIA_ROOT = os.path.join(WORK_DIR, "media")

_sqlite_path = os.path.join(WORK_DIR, "bench.sqlite3")
DATABASES = {"default": dj_database_url.config(default=f"sqlite:///{_sqlite_path}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A real file, so that the figures include SQLite's file I/O as a site's would.
    DATABASES["default"]["NAME"] = _sqlite_path
    DATABASES["default"]["TEST"] = {"NAME": _sqlite_path}
else:
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("PMOLIB_BENCH_DB_NAME", "pmolib_bench")}
if os.environ.get("PMOLIB_BENCH_DB"):
    # A worker process of search.worker_memory: the run's database, already built.
    DATABASES["default"]["NAME"] = os.environ["PMOLIB_BENCH_DB"]

# The suite's stub oEmbed finder (already in tests.settings; repeated so it is plain to see).
WAGTAILEMBEDS_FINDERS = [{"class": "tests.embed_finders.StubOEmbedFinder"}]
