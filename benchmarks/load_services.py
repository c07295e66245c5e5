"""What a load-test run starts and removes: the example site's commands,
gunicorn, the throw-away PostgreSQL database and the run's Redis keys
(``benchmarks/load.py``)."""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO_DIR = Path(__file__).resolve().parent.parent
EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Timeout)\b.*)$", re.M)


# --- processes -------------------------------------------------------------------


def run(env, *command, stdin=None):
    """Run a Python command of the example site; its standard output."""
    done = subprocess.run(
        [sys.executable, *command],
        cwd=REPO_DIR,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"{' '.join(command[:2])} failed (status {done.returncode})")
    return done.stdout


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(env, workers, port, log_path):
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--pythonpath",
        f"{REPO_DIR / 'example_site'},{REPO_DIR}",
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
        "--error-logfile",
        str(log_path),
        "example_site.wsgi:application",
    ]
    # The workers' standard error (Django's request errors, see the example site's
    # LOGGING) goes to the log too.
    with log_path.open("ab") as log:
        return subprocess.Popen(
            command, cwd=REPO_DIR, env=env, stdout=subprocess.DEVNULL, stderr=log
        )


def wait_until_serving(process, url, seconds=60):
    # Straight to 127.0.0.1, whatever proxy the environment names.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with status {process.returncode}")
        try:
            with opener.open(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer {url} within {seconds} s")


def stop(process):
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def server_errors(log_path):
    """What the 5xx answers raised, from the site's log (Django's request errors
    go to standard error), and any oEmbed lookup (which would be traffic leaving
    127.0.0.1: ``load_site.py setup`` stores every player beforehand)."""
    try:
        text = log_path.read_text(errors="replace")
    except OSError:
        return {}
    found = Counter(m[:160] for m in EXCEPTION_LINE.findall(text))
    for marker in ("WORKER TIMEOUT", "oEmbed lookup"):
        if marker in text:
            found[f"log lines with {marker!r}"] = text.count(marker)
    return dict(found.most_common(10))


# --- databases and caches --------------------------------------------------------


class PostgresDatabase:
    """A throw-away database on the server of ``server_url``: dropped if it exists,
    created, and dropped again at the end (``WITH (FORCE)``: even if a process of a
    failed run still holds a connection)."""

    def __init__(self, server_url, name):
        self.parts = urlsplit(server_url)
        if self.parts.scheme not in ("postgres", "postgresql"):
            raise SystemExit(f"--database-url must be a PostgreSQL URL, not {server_url!r}")
        self.name = name

    def url(self):
        return urlunsplit(self.parts._replace(path="/" + self.name))

    def _execute(self, sql):
        import psycopg

        admin = urlunsplit(self.parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(sql)

    def create(self):
        self.drop()
        self._execute(f'CREATE DATABASE "{self.name}"')

    def drop(self):
        self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class RedisPrefix:
    """Redis as the site's cache, under a key prefix of this run only, deleted at the end."""

    def __init__(self, url):
        self.base = url
        self.prefix = f"pmolib-load-{os.getpid()}-{secrets.token_hex(4)}"

    def url(self):
        return f"{self.base}{'&' if '?' in self.base else '?'}key_prefix={self.prefix}"

    def client(self):
        import redis

        return redis.Redis.from_url(self.base)

    def check(self):
        import redis

        try:
            self.client().ping()
        except redis.RedisError as exc:
            raise SystemExit(f"Redis at {self.base} does not answer: {exc}") from None

    def delete(self):
        client = self.client()
        keys = list(client.scan_iter(match=f"{self.prefix}:*", count=1000))
        for i in range(0, len(keys), 500):
            client.delete(*keys[i : i + 500])
        return len(keys)
