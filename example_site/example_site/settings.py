"""Settings of the example host site.

It uses wagtail-pmolib exactly as the README tells a developer to. SQLite by
default; ``DATABASE_URL`` (anything dj-database-url reads) picks another
database, ``CACHE_URL`` a shared cache (see ``cache_from_url``) and
``MEDIA_ROOT`` the folder for uploaded files. ``DEBUG=0`` runs it as in
production (templates cached, no static files served). Background work
(a PDF's text, re-indexing) runs in the request (Django's immediate task
backend) unless ``TASKS_BACKEND=database`` puts it in a queue in the database
for ``manage.py db_worker`` (pip install django-tasks-db; README, "Background work").
"""

import os
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = BASE_DIR.parent

SECRET_KEY = os.environ.get("SECRET_KEY", "example-site-not-secret-do-not-deploy")
DEBUG = os.environ.get("DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]

INSTALLED_APPS = [
    "wagtail_pmolib",
    # django-ninja's static files: the JSON API's docs page without a CDN.
    "ninja",
    "wagtail.api.v2",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.search_promotions",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "rest_framework",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "example_site.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "example_site.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{REPO_DIR / 'example_site.sqlite3'}", conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite for a site many visitors use at once (README, "SQLite in production"):
    # every transaction takes the write lock when it begins, so writers queue
    # instead of failing with "database is locked"; a writer waits up to 20 s for
    # the lock; readers never wait for the writer (WAL journal).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        **DATABASES["default"].get("OPTIONS", {}),
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def cache_from_url(url):
    """Django's default cache from ``CACHE_URL``.

    ``redis://host:port/db`` (or ``rediss://``) is Django's RedisCache, shared by
    every process (needs ``pip install redis``); ``locmem://`` a cache in each
    process's memory, what Django uses when ``CACHES`` is not set; ``dummy://``
    Django's DummyCache, which keeps nothing (every request reads the database). A
    ``key_prefix`` query parameter becomes the cache's KEY_PREFIX, so that two
    sites (or two benchmark runs) can share one Redis database:
    ``redis://127.0.0.1:6379/1?key_prefix=pmolib``.
    """
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    key_prefix = query.pop("key_prefix", "")
    if parts.scheme in ("redis", "rediss"):
        location = urlunsplit(parts._replace(query=urlencode(query)))
        backend = "django.core.cache.backends.redis.RedisCache"
    elif parts.scheme == "locmem":
        location = parts.netloc
        backend = "django.core.cache.backends.locmem.LocMemCache"
    elif parts.scheme == "dummy":
        location = ""
        backend = "django.core.cache.backends.dummy.DummyCache"
    else:
        raise ImproperlyConfigured(
            f"CACHE_URL must start with redis://, rediss://, locmem:// or dummy://, not {url!r}."
        )
    return {"BACKEND": backend, "LOCATION": location, "KEY_PREFIX": key_prefix}


# Without CACHE_URL, Django's default: a cache in each process's memory.
if os.environ.get("CACHE_URL"):
    CACHES = {"default": cache_from_url(os.environ["CACHE_URL"])}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "static_collected"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = os.environ.get("MEDIA_ROOT") or str(REPO_DIR / "media")

WAGTAIL_SITE_NAME = "PMO Conference Library"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "pptx", "xlsx", "vtt", "mp4", "webm", "mp3", "txt"]
# API v2 gives rich text as front-end HTML (fields and StreamField paragraphs alike).
WAGTAILAPI_RICH_TEXT_FORMAT = "html"
# Where the APIs' absolute URLs point (pages, documents, images): this server, not
# the "localhost:80" of the default Site that Wagtail's first migration makes.
WAGTAILAPI_BASE_URL = os.environ.get("WAGTAILAPI_BASE_URL", WAGTAILADMIN_BASE_URL)
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}

# Background work (Django's tasks framework, as Wagtail uses it). Without TASKS,
# Django's immediate backend runs each task in the request that enqueued it.
if os.environ.get("TASKS_BACKEND", "immediate") == "database":
    INSTALLED_APPS.append("django_tasks_db")
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# The library, themed the way a host site would: our own base template (with
# the site's navigation) and a stylesheet that sets the library's colours.
WAGTAIL_PMOLIB = {
    "BASE_TEMPLATE": "base.html",
    # Members-only sessions are for users in this group (dev.py makes "member").
    "MEMBER_GROUPS": ["Members"],
    # The headless front end of example_site/headless/ (python3 dev.py headless):
    # editors' "Headless front end" preview opens it with a draft's token.
    "HEADLESS_PREVIEW_CLIENT_URL": os.environ.get(
        "HEADLESS_PREVIEW_CLIENT_URL", "http://127.0.0.1:8001/index.html"
    ),
    # The front end's origins: their pages may call the JSON API and post ratings
    # (CORS). Any other origin's browser is refused.
    "API_CORS_ORIGINS": ["http://127.0.0.1:8001", "http://localhost:8001"],
}
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/library/"
LOGOUT_REDIRECT_URL = "/library/"

# Errors of requests (500s) go to standard error, where gunicorn, systemd or
# the console show them, whatever DEBUG is (Django's default only prints them
# with DEBUG on and mails them to ADMINS otherwise).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}
