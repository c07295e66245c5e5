"""The load test's visitors: mixed traffic from concurrent asyncio clients (aiohttp).

Each client sends one request at a time, picking its kind by weight, until the
phase's time is up or the phase's request budget is spent; every response is
recorded with the time its request started, its status and which probe
sessions (by token, see ``load_site``) its body shows. Traffic goes to
127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from dataclasses import dataclass, field

import aiohttp

TOKEN_RE = re.compile(rb"lt\d{4}q")

# What visitors do, and how often (relative weights).
WEIGHTS = {"browse": 25, "search": 20, "session": 30, "suggest": 15, "vote": 10}
KINDS = tuple(WEIGHTS)

SEARCH_WORDS = [
    "pmo",
    "probe",
    "value",
    "portfolio",
    "service catalogue",
    "load probe",
    "hybrid delivery",
    "benefits",
    "kanban",
    "stakeholder",
]
SUGGEST_WORDS = ["pro", "probe", "pri", "ser", "pmo", "port", "lo", "load pr", "han", "probe sp"]
# A visitor's submissions stay under the site's RATE_LIMIT (10 a minute by default).
MAX_VOTES_PER_VISITOR = 6
# A client's new visitors on one session stay under ADDRESS_VOTES_PER_PAGE (20 a
# day by default): each client connects from an address of its own.
MAX_NEW_VOTERS_PER_PAGE = 15


def client_address(client: int) -> str:
    """The loopback address client ``client`` connects from (127.0.0.2, …): the
    site's per-address feedback limits see each client as one address, not all
    of them as 127.0.0.1."""
    return f"127.0.{client // 250}.{client % 250 + 2}"


@dataclass
class Request:
    kind: str
    method: str
    path: str
    headers: dict = field(default_factory=dict)
    body: bytes | None = None
    agent: str | None = None
    rating: int | None = None


@dataclass
class Record:
    kind: str
    method: str
    path: str
    start: float  # time.time() when the request was sent
    ms: float  # until the whole body was read
    status: int  # 0: no response (connection error or timeout)
    tokens: dict  # token → what of it the body shows: "link", "title", "speaker"
    location: str = ""
    error: str = ""
    agent: str | None = None
    rating: int | None = None

    def as_dict(self):
        return {k: v for k, v in self.__dict__.items() if v not in (None, "", {})}


def tokens_in(body: bytes) -> dict:
    found = {}
    for match in set(TOKEN_RE.findall(body)):
        where = []
        if b"load-probe-" + match in body:
            where.append("link")
        if b"Load probe " + match in body:
            where.append("title")
        if b"Probe Speaker " + match in body:
            where.append("speaker")
        found[match.decode()] = where
    return found


class Voters:
    """One client's visitors: each vote comes from a new visitor, from one who
    voted on another session, or from one who voted on this session before (who
    changes the rating: a re-vote replaces). A client sends one request at a time,
    so one visitor's votes never overlap and the last acknowledged rating is the
    one that must be stored."""

    def __init__(self, client: int, rng: random.Random):
        self.client, self.rng, self.made = client, rng, 0
        self.votes: dict[str, dict[str, int]] = {}  # agent → {path: submissions}

    def pick(self, path: str) -> str | None:
        """The visitor who votes on ``path`` next; None when none may (every
        visitor who voted there is at MAX_VOTES_PER_VISITOR, and the client's
        address has had MAX_NEW_VOTERS_PER_PAGE of them)."""
        usable = [
            agent
            for agent, pages in self.votes.items()
            if sum(pages.values()) < MAX_VOTES_PER_VISITOR
        ]
        again = [agent for agent in usable if path in self.votes[agent]]
        other = [agent for agent in usable if path not in self.votes[agent]]
        full = sum(1 for pages in self.votes.values() if path in pages) >= MAX_NEW_VOTERS_PER_PAGE
        roll = self.rng.random()
        if again and (roll < 0.2 or full):
            agent = self.rng.choice(again)
        elif full:
            return None
        elif roll < 0.5 and other:
            agent = self.rng.choice(other)
        else:
            self.made += 1
            # No "bot", "crawl" …: those are answered but not stored (BOT_USER_AGENTS).
            agent = f"pmolib-load/1.0 (visitor {self.client}-{self.made})"
        pages = self.votes.setdefault(agent, {})
        pages[path] = pages.get(path, 0) + 1
        return agent


class Plan:
    """Which request a client sends next."""

    def __init__(self, info: dict, origin: str, seed: int, kinds=KINDS):
        self.info, self.origin = info, origin
        self.library = info["library_url"]
        self.sessions = list(info["sessions"])
        # Every probe session ever published, hidden ones too (their own pages are
        # requested as well: they must answer 404 or the login redirect).
        self.probes = [p["url"] for p in info["probes"]]
        self.weights = [WEIGHTS.get(k, 1) for k in kinds]
        self.kinds = kinds
        self.seed = seed
        self.rngs: dict[int, random.Random] = {}
        self.voters: dict[int, Voters] = {}

    def add_probe(self, url: str):
        if url not in self.probes:
            self.probes.append(url)

    def rng(self, client: int) -> random.Random:
        if client not in self.rngs:
            self.rngs[client] = random.Random(self.seed * 1000 + client)
            self.voters[client] = Voters(client, self.rngs[client])
        return self.rngs[client]

    def filters(self, rng) -> list[tuple[str, str]]:
        info = self.info
        choices = [
            [("conference", str(rng.choice(info["conferences"])))],
            [("theme", rng.choice(info["themes"]))],
            [("format", rng.choice(["recording", "handout"]))],
            [("speaker", str(rng.choice(info["speakers"])))],
            [("sort", rng.choice(["top-rated", "most-rated"]))],
            [("page", "2")],
            [("conference", str(rng.choice(info["conferences"]))), ("sort", "newest")],
        ]
        return rng.choice(choices)

    def next(self, client: int) -> Request:
        from urllib.parse import urlencode

        rng = self.rng(client)
        kind = rng.choices(self.kinds, self.weights)[0]
        if kind == "browse":
            params = [] if rng.random() < 0.4 else self.filters(rng)
            return Request(kind, "GET", self.library + ("?" + urlencode(params) if params else ""))
        if kind == "search":
            params = [("q", rng.choice(SEARCH_WORDS))]
            if rng.random() < 0.3:
                params += self.filters(rng)
            return Request(kind, "GET", f"{self.library}?{urlencode(params)}")
        if kind == "suggest":
            query = urlencode({"q": rng.choice(SUGGEST_WORDS)})
            return Request(kind, "GET", f"{self.library}suggest/?{query}")
        if kind == "session":
            pool = self.probes if rng.random() < 0.4 else self.sessions
            return Request(kind, "GET", rng.choice(pool))
        if kind == "vote":
            path = rng.choice(self.probes if rng.random() < 0.2 else self.sessions)
            agent = self.voters[client].pick(path)
            if agent is None:  # this client may vote there no more: another session
                for path in rng.sample(self.sessions, len(self.sessions)):
                    if (agent := self.voters[client].pick(path)) is not None:
                        break
                else:
                    return Request("session", "GET", rng.choice(self.sessions))
            rating = rng.randint(1, 5)
            return Request(
                kind,
                "POST",
                f"{path}feedback/",
                headers={
                    "Accept": "application/json",
                    "Content-Type": "application/json",
                    "Origin": self.origin,
                    "User-Agent": agent,
                },
                body=json.dumps({"rating": rating}).encode(),
                agent=agent,
                rating=rating,
            )
        if kind == "bare":
            return Request(kind, "GET", self.info["plain_url"])
        raise ValueError(kind)

    def agents(self) -> list[list[str]]:
        """Every visitor as [user agent, the address its client connects from]."""
        return sorted(
            [agent, client_address(client)]
            for client, voters in self.voters.items()
            for agent in voters.votes
        )


async def send(session, request: Request) -> Record:
    start, clock = time.time(), time.perf_counter()
    status, body, location, error = 0, b"", "", ""
    try:
        async with session.request(
            request.method,
            request.path,
            headers=request.headers,
            data=request.body,
            allow_redirects=False,
        ) as response:
            body = await response.read()
            status, location = response.status, response.headers.get("Location", "")
    except (TimeoutError, aiohttp.ClientError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    return Record(
        kind=request.kind,
        method=request.method,
        path=request.path,
        start=start,
        ms=(time.perf_counter() - clock) * 1000,
        status=status,
        tokens=tokens_in(body),
        location=location,
        error=error,
        agent=request.agent,
        rating=request.rating,
    )


async def run_phase(
    base_url: str,
    plan: Plan,
    clients: int,
    duration: float,
    max_requests: int,
    timeout: float,
    on_tick=None,
) -> tuple[list[Record], float]:
    """Run ``clients`` clients for ``duration`` seconds or ``max_requests`` requests,
    whichever ends first; returns the records and the phase's wall time. A request
    still running at the end is awaited (at most ``timeout`` seconds) and counted."""
    assert base_url.startswith("http://127.0.0.1:"), "traffic goes to 127.0.0.1 only"
    records: list[Record] = []
    budget = [max_requests]
    deadline = time.monotonic() + duration

    async def client(n):
        connector = aiohttp.TCPConnector(
            limit=1, force_close=True, local_addr=(client_address(n), 0)
        )
        async with aiohttp.ClientSession(
            base_url=base_url,
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),  # each visitor is its user agent
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as session:
            while time.monotonic() < deadline and budget[0] > 0:
                budget[0] -= 1
                records.append(await send(session, plan.next(n)))
                if on_tick is not None:
                    on_tick()

    started = time.monotonic()
    await asyncio.gather(*(client(n) for n in range(clients)))
    elapsed = time.monotonic() - started
    return records, elapsed
