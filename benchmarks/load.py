#!/usr/bin/env python
"""Load test: the example site under gunicorn while an editor changes sessions.

    .venv/bin/python benchmarks/load.py [--configs sqlite,postgres] [--duration 30]
        [--clients 8] [--workers 4] [--database-url postgres://postgres@127.0.0.1:5432/postgres]
        [--cache-url redis://127.0.0.1:6379/0] [--check]

For each configuration (SQLite with Django's default per-process cache;
PostgreSQL with Redis as the shared cache) it makes a throw-away database,
migrates it, loads ``pmolib_demo`` and probe sessions (``load_site.py setup``),
starts ``gunicorn -w 4 example_site.wsgi`` on 127.0.0.1 with ``DEBUG=0``, and
runs three phases with ``--clients`` concurrent clients (``load_client.py``):

1. warm-up (``--warmup`` seconds, not reported);
2. the yardstick: every client requests Wagtail's bare ``Page`` (same depth);
3. mixed traffic (library browse, searches, session pages, suggestions, votes)
   while an editor process publishes, unpublishes and restricts sessions.

Then it reports requests/s and p50/p95 per kind, 5xx answers, and the verdicts
of ``load_check.py``: no unpublished or login-only session shown after its
change committed, new sessions shown after theirs, acknowledged votes = stored
votes. The database, uploads and cache keys are removed at the end, even when
the run fails; the figures go to ``benchmarks/results/load-latest.json``.
See benchmarks/README.md, "Load test".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
sys.path.insert(0, str(REPO_DIR))

from benchmarks import load_check  # noqa: E402
from benchmarks.load_client import KINDS, Plan, run_phase  # noqa: E402

DEFAULT_OUTPUT = BENCH_DIR / "results" / "load-latest.json"
# What the command runs unless --configs says otherwise. On request also
# "postgres-locmem" (PostgreSQL with Django's default per-process cache) and
# "postgres-nocache" (Django's DummyCache: nothing is kept, every request reads the
# database; the control, whose verdicts pass unless the harness itself is wrong).
CONFIGS = ("postgres", "sqlite")
LABELS = {
    "postgres": "PostgreSQL + Redis",
    "sqlite": "SQLite, per-process cache",
    "postgres-locmem": "PostgreSQL, per-process cache",
    "postgres-nocache": "PostgreSQL, no cache (control)",
}
EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Timeout)\b.*)$", re.M)


def default_database_url():
    """$PMOLIB_LOAD_DATABASE_URL, else $DATABASE_URL if it is PostgreSQL, else the local server."""
    given = os.environ.get("DATABASE_URL", "")
    return (
        os.environ.get("PMOLIB_LOAD_DATABASE_URL")
        or (given if given.startswith("postgres") else "")
        or "postgres://postgres@127.0.0.1:5432/postgres"
    )


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Load test of the example site under gunicorn (see benchmarks/README.md)."
    )
    parser.add_argument(
        "--configs",
        default=",".join(CONFIGS),
        help=f"comma-separated, from {', '.join(LABELS)}",
    )
    parser.add_argument("--duration", type=float, default=30, help="seconds of each phase")
    parser.add_argument("--warmup", type=float, default=5, help="seconds of warm-up")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument(
        "--max-requests", type=int, default=20000, help="most requests of one phase"
    )
    parser.add_argument("--timeout", type=float, default=30, help="seconds a request may take")
    parser.add_argument("--editor-interval", type=float, default=3, help="seconds per edit cycle")
    parser.add_argument("--probes", type=int, default=12, help="probe sessions before the run")
    parser.add_argument(
        "--database-url",
        default=default_database_url(),
        help="the PostgreSQL server ($PMOLIB_LOAD_DATABASE_URL, else a postgres:// "
        "$DATABASE_URL); the database named in it is never touched",
    )
    parser.add_argument(
        "--database-name",
        default=os.environ.get("PMOLIB_LOAD_DB_NAME", "load_pmolib"),
        help="the throw-away PostgreSQL database created and dropped",
    )
    parser.add_argument(
        "--cache-url",
        default=os.environ.get("PMOLIB_LOAD_CACHE_URL") or "redis://127.0.0.1:6379/0",
        help="Redis for the PostgreSQL configuration (keys under a prefix of this run)",
    )
    parser.add_argument("--seed", type=int, default=8, help="random seed of the traffic")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument(
        "--records",
        type=Path,
        help="also write every response's record (JSON lines, one file per configuration: "
        "PATH.CONFIG.jsonl)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit with status 1 on any 5xx, failed request or consistency violation",
    )
    args = parser.parse_args(argv)
    args.configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    unknown = set(args.configs) - set(LABELS)
    if unknown or not args.configs:
        parser.error(f"--configs: choose from {', '.join(LABELS)}")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", args.database_name):
        parser.error("--database-name: lower-case letters, digits and _ only")
    if args.clients < 1 or args.workers < 1 or args.duration <= 0:
        parser.error("--clients, --workers and --duration must be positive")
    return args


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


# --- one configuration -----------------------------------------------------------


async def phases(args, env, port, info, folder):
    base = f"http://127.0.0.1:{port}"
    result = {"load_average_start": [round(x, 2) for x in os.getloadavg()]}
    warm = Plan(info, base, args.seed, kinds=("browse", "search", "session", "suggest"))
    print(f"  warm-up: {args.warmup:g} s", flush=True)
    await run_phase(base, warm, args.clients, args.warmup, args.max_requests, args.timeout)

    print(f"  yardstick: Wagtail's bare page, {args.duration:g} s", flush=True)
    bare = Plan(info, base, args.seed, kinds=("bare",))
    records, elapsed = await run_phase(
        base, bare, args.clients, args.duration, args.max_requests, args.timeout
    )
    result["yardstick"] = {
        "elapsed_s": round(elapsed, 2),
        "table": load_check.kind_table([r.as_dict() for r in records], elapsed, ["bare"]),
    }

    print(f"  mixed traffic with an editor at work: {args.duration:g} s", flush=True)
    plan = Plan(info, base, args.seed)
    editor_log = (folder / "editor.log").open("wb")
    editor = await asyncio.create_subprocess_exec(
        sys.executable,
        str(BENCH_DIR / "load_site.py"),
        "edit",
        "--duration",
        str(args.duration),
        "--interval",
        str(args.editor_interval),
        "--first",
        str(info["next_number"]),
        cwd=REPO_DIR,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=editor_log,
    )
    events = []
    # The editor starts (Django, a connection) first, then both go at once.
    ready = await asyncio.wait_for(editor.stdout.readline(), 60)
    if json.loads(ready or "{}").get("action") != "ready":
        await editor.wait()
        sys.stderr.write((folder / "editor.log").read_text(errors="replace"))
        raise SystemExit("the editor process did not start")
    editor.stdin.write(b"go\n")
    await editor.stdin.drain()
    run_started = time.time()

    async def read_editor():
        async for line in editor.stdout:
            event = json.loads(line)
            events.append(event)
            if event["action"] == "publish" and event["committed"]:
                plan.add_probe(event["url"])

    reader = asyncio.create_task(read_editor())
    try:
        records, elapsed = await run_phase(
            base, plan, args.clients, args.duration, args.max_requests, args.timeout
        )
        await asyncio.wait_for(editor.wait(), args.editor_interval + args.timeout)
        await reader
    except TimeoutError:
        raise SystemExit("the editor process did not finish in time") from None
    finally:
        if editor.returncode is None:
            editor.kill()
            await editor.wait()
        editor_log.close()
    if editor.returncode:
        sys.stderr.write((folder / "editor.log").read_text(errors="replace"))
        raise SystemExit(f"the editor process failed (status {editor.returncode})")
    result["mixed"] = {"elapsed_s": round(elapsed, 2), "run_started": run_started}
    return result, [r.as_dict() for r in records], events, plan.agents()


def run_config(config, args, work):
    label = LABELS[config]
    print(f"\n{label}", flush=True)
    folder = work / config
    folder.mkdir()
    env = {
        **os.environ,
        "DEBUG": "0",
        "MEDIA_ROOT": str(folder / "media"),
        "SECRET_KEY": secrets.token_urlsafe(40),
        "PYTHONUNBUFFERED": "1",
        # This checkout's package and example site first, whatever else is installed.
        "PYTHONPATH": os.pathsep.join(
            [str(REPO_DIR / "example_site"), str(REPO_DIR), os.environ.get("PYTHONPATH", "")]
        ).rstrip(os.pathsep),
    }
    env.pop("CACHE_URL", None)
    database = cache = server = None
    try:
        if config.startswith("postgres"):
            database = PostgresDatabase(args.database_url, args.database_name)
            if config == "postgres":
                cache = RedisPrefix(args.cache_url)
                cache.check()
                env["CACHE_URL"] = cache.url()
            elif config == "postgres-nocache":
                env["CACHE_URL"] = "dummy://"
            database.create()
            env["DATABASE_URL"] = database.url()
        else:
            env["DATABASE_URL"] = f"sqlite:///{folder / 'load.sqlite3'}"
        started = time.monotonic()
        run(env, "example_site/manage.py", "migrate", "--noinput", "-v0")
        run(env, "example_site/manage.py", "pmolib_demo", "-v0")
        info = json.loads(
            run(env, str(BENCH_DIR / "load_site.py"), "setup", "--sessions", str(args.probes))
        )
        if Path(info["package"]) != REPO_DIR / "wagtail_pmolib":
            raise SystemExit(
                f"The site imports wagtail_pmolib from {info['package']}, not from this "
                f"checkout ({REPO_DIR}): the figures would not be this code's."
            )
        print(f"  database ready in {time.monotonic() - started:.0f} s", flush=True)
        port = free_port()
        log_path = folder / "gunicorn.log"
        server = start_gunicorn(env, args.workers, port, log_path)
        wait_until_serving(server, f"http://127.0.0.1:{port}{info['plain_url']}")
        result, records, events, agents = asyncio.run(phases(args, env, port, info, folder))
        stored = json.loads(
            run(env, str(BENCH_DIR / "load_site.py"), "votes", stdin=json.dumps(agents))
        )
        stop(server)
        server = None
        page_ids = dict(info["sessions"])
        page_ids.update({p["url"]: p["page_id"] for p in info["probes"]})
        page_ids.update({e["url"]: e["page_id"] for e in events if e.get("page_id")})
        if args.records:
            path = args.records.with_name(f"{args.records.name}.{config}.jsonl")
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w") as out:
                for record in records:
                    out.write(json.dumps(record) + "\n")
        mixed = result["mixed"]
        mixed["table"] = load_check.kind_table(records, mixed["elapsed_s"], list(KINDS))
        result.update(
            config=config,
            label=label,
            database=env["DATABASE_URL"].split("://")[0],
            cache={"postgres": "Redis", "postgres-nocache": "none (DummyCache)"}.get(
                config, "per-process (LocMemCache)"
            ),
            statuses_5xx={
                str(status): n
                for status, n in sorted(Counter(r["status"] for r in records).items())
                if status >= 500
            },
            editor={
                "changes": dict(Counter(e["action"] for e in events if e["committed"])),
                "failed": sum(1 for e in events if not e["committed"]),
                "retries": sum(e["attempts"] - 1 for e in events),
                "errors": sorted({err[:120] for e in events for err in e["errors"]}),
            },
            hidden=load_check.check_hidden(records, events, info["probes"]),
            published=load_check.check_published(
                records, events, info["probes"], info["library_url"], mixed["run_started"]
            ),
            votes=load_check.check_votes(records, stored, page_ids),
            server_errors=server_errors(log_path),
            events=events,
        )
        return result
    finally:
        stop(server)
        if cache is not None:
            try:
                cache.delete()
            except Exception as exc:  # report, but go on cleaning up
                print(f"  could not delete the run's Redis keys: {exc}")
        if database is not None:
            database.drop()


# --- report ----------------------------------------------------------------------


def failures(result):
    """What ``--check`` fails on."""
    found = []
    for phase in ("yardstick", "mixed"):
        total = result[phase]["table"][-1]
        if total["5xx"] or total["failed"]:
            found.append(f"{phase}: {total['5xx']} × 5xx, {total['failed']} failed requests")
    if result["hidden"]["violations"]:
        found.append(f"{result['hidden']['violations']} hidden sessions shown")
    if result["published"]["violations"]:
        found.append(f"{result['published']['violations']} published sessions not shown")
    if not result["votes"]["equal"]:
        found.append("acknowledged votes ≠ stored votes")
    return found


def print_table(rows):
    header = (
        f"  {'kind':<9} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'2xx':>6} {'3xx':>5} {'4xx':>5} {'5xx':>5} {'failed':>6}"
    )
    print(header)
    print("  " + "-" * (len(header) - 2))
    for row in rows:
        print(
            f"  {row['kind']:<9} {row['requests']:>8} {row['per_second']:>7} "
            f"{row['p50_ms'] or 0:>8.1f} {row['p95_ms'] or 0:>8.1f} {row['2xx']:>6} "
            f"{row['3xx']:>5} {row['4xx']:>5} {row['5xx']:>5} {row['failed']:>6}"
        )


def optional(details):
    """`` {…}`` after a figure, or nothing when there is nothing to detail."""
    return f" {details}" if details else ""


def verdict(ok):
    return "PASS" if ok else "FAIL"


def print_report(result, args):
    print()
    print(
        f"{result['label']}: gunicorn -w {args.workers}, {args.clients} clients, "
        f"{args.duration:g} s a phase"
    )
    print("\n  yardstick: Wagtail's bare page")
    print_table(result["yardstick"]["table"])
    print("\n  mixed traffic, editor at work")
    print_table(result["mixed"]["table"])
    bare = result["yardstick"]["table"][0]
    total = result["mixed"]["table"][-1]
    session = result["mixed"]["table"][KINDS.index("session")]
    if bare["per_second"] and total["per_second"]:
        print(
            f"\n  mixed / bare: {total['per_second'] / bare['per_second']:.2f}× the requests "
            f"per second, p50 {total['p50_ms'] / bare['p50_ms']:.1f}× "
            f"(session pages {(session['p50_ms'] or 0) / bare['p50_ms']:.1f}×)"
        )
    editor = result["editor"]
    print(
        f"  editor: {editor['changes']}, {editor['failed']} failed, "
        f"{editor['retries']} retried (locked database)"
    )
    hidden, published, votes = result["hidden"], result["published"], result["votes"]
    print()
    print(
        f"  {verdict(not hidden['violations'])}  unpublished or login-only sessions shown "
        f"after their change committed: {hidden['violations']} responses "
        f"({hidden['hidden_sessions']} sessions hidden; by kind {hidden['by_kind']}, by change "
        f"{hidden['by_action']}, up to {hidden['max_lag_s']} s after the commit)"
    )
    print(
        "        probe sessions shown while visible, by kind: "
        f"{hidden['probe_shown_while_visible']}; "
        f"own pages after the change: {hidden['own_page_after_change']}"
    )
    for example in hidden["examples"][:3]:
        print(
            f"        e.g. {example['kind']} {example['path']} {example['status']}: "
            f"{example['token']} ({example['action']}) {example['what']}, "
            f"{example['lag_s']} s after the commit"
        )
    print(
        f"  {verdict(not published['violations'])}  new sessions not shown after their "
        f"publication committed: {published['first_pages_without_newest']} of "
        f"{published['first_pages_checked']} first library pages, "
        f"{published['own_pages_not_200']} own pages not 200"
    )
    print(
        f"  {verdict(votes['equal'])}  acknowledged votes = stored votes: "
        f"{votes['acknowledged_pairs']} acknowledged (page, visitor), {votes['stored_rows']} "
        f"stored, summaries count {votes['summary_count']}; lost {votes['lost']}, wrong rating "
        f"{votes['wrong_rating']}, stored but not acknowledged {votes['stored_unacknowledged']}"
        f"{optional(votes['stored_unacknowledged_answers'])}; answers {votes['answers']}"
    )
    total_5xx = result["yardstick"]["table"][-1]["5xx"] + total["5xx"]
    ok = not total_5xx and not total["failed"]
    print(
        f"  {verdict(ok)}  5xx: {total_5xx}{optional(result['statuses_5xx'])}, "
        f"failed: {total['failed']}"
    )
    for line, count in result["server_errors"].items():
        print(f"        {count} × {line}")


def environment(args):
    from importlib.metadata import version

    return {
        "python": platform.python_version(),
        **{name: version(name) for name in ("django", "wagtail", "aiohttp", "psycopg", "redis")},
        "gunicorn": subprocess.run(
            [sys.executable, "-m", "gunicorn", "--version"], capture_output=True, text=True
        ).stdout.strip(),
        "cpus": os.cpu_count(),
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "workers": args.workers,
        "clients": args.clients,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "editor_interval_s": args.editor_interval,
        "seed": args.seed,
    }


def main(argv=None):
    args = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="pmolib-load-"))
    results = []
    try:
        for config in args.configs:
            results.append(run_config(config, args, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for result in results:
        print_report(result, args)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "environment": environment(args),
        "results": results,
        "failures": {r["config"]: failures(r) for r in results},
    }
    args.output.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    print(f"\nJSON written to {args.output}")
    failed = [f"{r['label']}: {f}" for r in results for f in failures(r)]
    if args.check and failed:
        print("Failed (--check):\n  " + "\n  ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
