#!/usr/bin/env python3
"""Set everything up and run it: the two commands of the README.

    python3 dev.py serve   # venv, install, migrate, demo, admin user, serve on 127.0.0.1:8000
    python3 dev.py test    # venv, install, run the test suite (extra arguments go to pytest)
    python3 dev.py headless  # the headless front end (example_site/headless/) on 127.0.0.1:8001
    python3 dev.py browser # the browser tests only, failing (not skipping) when Chromium,
                           # npm (axe-core) or Java (the Nu HTML Checker) is missing
    python3 dev.py screenshots  # refresh docs/screenshots/*.png (desktop and mobile)

Needs only Python 3.11+. Everything is installed into ./.venv from the
project's own files (pyproject.toml's `testing` extra).
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".pmolib-installed"
ADMIN_USER = "admin"
ADMIN_PASSWORD = "changeme"
# The example site's visitors (README): a member, who reads members-only sessions,
# and a signed-in reader who is not one, who gets their teasers.
MEMBER_USER = "member"
READER_USER = "reader"


def run(*args, **kwargs):
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT, **kwargs)


def ensure_env():
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be started by an older Python
        sys.exit("wagtail-pmolib needs Python 3.11 or newer.")
    if not PYTHON.exists():
        print(f"Creating a virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    pyproject = ROOT / "pyproject.toml"
    if not STAMP.exists() or STAMP.stat().st_mtime < pyproject.stat().st_mtime:
        run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        run(PYTHON, "-m", "pip", "install", "--quiet", "-e", ".[testing]")
        STAMP.touch()


def manage(*args, env=None):
    run(PYTHON, ROOT / "example_site" / "manage.py", *args, env=env)


def serve(extra):
    ensure_env()
    env = dict(os.environ)
    manage("migrate", "--noinput", env=env)
    manage("pmolib_demo", env=env)
    create_admin = (
        "from django.contrib.auth import get_user_model; U = get_user_model();\n"
        f"U.objects.filter(username={ADMIN_USER!r}).exists() or "
        f"U.objects.create_superuser({ADMIN_USER!r}, 'admin@example.com', {ADMIN_PASSWORD!r})\n"
        "from django.contrib.auth.models import Group\n"
        "members, _ = Group.objects.get_or_create(name='Members')\n"
        f"for name in ({MEMBER_USER!r}, {READER_USER!r}):\n"
        "    if not U.objects.filter(username=name).exists():\n"
        f"        user = U.objects.create_user(name, password={ADMIN_PASSWORD!r})\n"
        f"        if name == {MEMBER_USER!r}: user.groups.add(members)\n"
    )
    manage("shell", "-c", create_admin, env=env)
    print(
        "\nThe example site: http://127.0.0.1:8000/library/\n"
        f"Wagtail admin:    http://127.0.0.1:8000/admin/  (user {ADMIN_USER!r}, "
        f"password {ADMIN_PASSWORD!r})\n"
        f"Visitors:         http://127.0.0.1:8000/accounts/login/  ({MEMBER_USER!r}, a member; "
        f"{READER_USER!r}, signed in but not a member; password {ADMIN_PASSWORD!r})\n",
        flush=True,
    )
    manage("runserver", *(extra or ["127.0.0.1:8000"]), env=env)


def test(extra):
    ensure_env()
    run(PYTHON, "-m", "pytest", *extra)


def headless(extra):
    """Serve example_site/headless/ as plain files on a second origin (the example
    site lists http://127.0.0.1:8001 in API_CORS_ORIGINS); needs no install."""
    port = extra[0] if extra else "8001"
    print(f"\nThe headless front end: http://127.0.0.1:{port}/index.html\n", flush=True)
    run(
        sys.executable,
        "-m",
        "http.server",
        port,
        "--bind",
        "127.0.0.1",
        "--directory",
        ROOT / "example_site" / "headless",
    )


def browser(extra):
    """The browser tests, required: a missing tool fails them, as in CI."""
    ensure_env()
    env = {**os.environ, "PMOLIB_REQUIRE_BROWSER": "1"}
    run(PYTHON, "-m", "pytest", "tests/browser", *extra, env=env)


def screenshots(extra):
    """Desktop and mobile screenshots of the demo into docs/screenshots/ (the
    README shows them): tests/browser/screenshots.py, run on purpose only."""
    ensure_env()
    env = {
        **os.environ,
        "PMOLIB_REQUIRE_BROWSER": "1",
        "PMOLIB_SCREENSHOTS_DIR": str(ROOT / "docs" / "screenshots"),
    }
    run(PYTHON, "-m", "pytest", "-q", "tests/browser/screenshots.py", *extra, env=env)


def main(argv):
    commands = {
        "serve": serve,
        "test": test,
        "browser": browser,
        "screenshots": screenshots,
        "headless": headless,
    }
    if not argv or argv[0] not in commands:
        sys.exit(__doc__)
    commands[argv[0]](argv[1:])


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except subprocess.CalledProcessError as exc:
        sys.exit(exc.returncode)
    except KeyboardInterrupt:
        sys.exit(130)
