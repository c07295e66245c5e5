"""Separate processes sharing one database: what production has.

A ``SiteProcess`` is a new Python process running the test site (``tests.settings``
plus ``processes/settings.py``) against a database every process shares, with
its own cache (per-process memory by default, or Redis) and its own memory:
what a gunicorn worker, ``publish_scheduled`` from cron, the shell or a task
worker is. Tests speak to it over a pipe: requests through Django's test
client (the full middleware stack) and Python snippets run inside it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


class ProcessError(AssertionError):
    pass


class SiteProcess:
    def __init__(self, database_url: str, cache: str = "locmem", media_root: str = ""):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.processes.settings",
            "DATABASE_URL": database_url,
            "PMOLIB_PROCESS_CACHE": cache,
            "PMOLIB_PROCESS_MEDIA": media_root,
            "PYTHONUNBUFFERED": "1",
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.processes.worker"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.pid = self._call({"op": "pid"})

    def _call(self, message):
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise ProcessError(f"the process died: {self.proc.stderr.read()[-4000:]}")
        answer = json.loads(line)
        if "error" in answer:
            raise ProcessError(answer["error"])
        return answer["result"]

    def get(self, path, **headers):
        return self._call({"op": "request", "method": "get", "path": path, "headers": headers})

    def post(self, path, data, *, as_json=False, **headers):
        return self._call(
            {
                "op": "request",
                "method": "post",
                "path": path,
                "data": data,
                "json": as_json,
                "headers": headers,
            }
        )

    def run(self, code: str, **names):
        """Run ``code`` in the process with ``names`` defined; returns its ``result``."""
        return self._call({"op": "run", "code": code, "names": names})

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=30)
            except Exception:
                self.proc.kill()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"
