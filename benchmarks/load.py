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
import re
import secrets
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
sys.path.insert(0, str(REPO_DIR))

from benchmarks import load_check  # noqa: E402
from benchmarks.load_client import KINDS, Plan, run_phase  # noqa: E402
from benchmarks.load_report import environment, failures, print_report  # noqa: E402
from benchmarks.load_services import (  # noqa: E402
    PostgresDatabase,
    RedisPrefix,
    free_port,
    run,
    server_errors,
    start_gunicorn,
    stop,
    wait_until_serving,
)

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
