"""Seeded fault scenarios: real hub and ward processes, real API writes, faults, then proof.

:func:`run_scenario` builds a hub and 2–3 ward nodes (real processes, ``tests/support/cluster.py``),
each ward enrolled with a :class:`~tests.faults.proxy.FaultProxy` as its hub, so every sync
request crosses the proxy. One ward runs under ``libfaketime`` with its clock skewed by 1 to 3
minutes either way (within the hub's 5-minute drift bound). Then, at once:

* a writer thread per ward makes real API calls (receive a dossier, edit its notes or the
  applicant's phone, start / complete / return it) and records everything the API
  acknowledged (2xx) — and, for calls whose answer was lost, what they might have done;
* an administrator thread edits the notes of ward dossiers straight at the hub (racing its
  kills); those edits must reach the owning ward;
* the main thread walks a fault plan drawn from the seed, one event each time the writers have
  made a further share of their writes: the proxy faulty or clean, partitions (proxy down),
  SIGKILL of a ward node then a restart on its data (a new port: the writer follows),
  SIGKILL of the hub then a restart on its port, a ``ward-node sync`` beside the running node
  (racing it for the sync lock, or SIGKILLed at a random moment), and the skewed ward's clock
  set to another offset while it is down.

After the plan (proxy clean and up, every process running), each ward is made to sync until it
reports "synced" with nothing pending, then synced once more from the command line, and the
stores are checked:

(a) every change acknowledged to a user is at the hub: each acknowledged dossier exists there
    with the field values the writer was last told, each acknowledged step, each acknowledged
    notes value in the hub's journal, and the notes the hub holds are the newest of them;
(b) every replica holds the same state for what is routed to it: a ward's ``dossier`` and
    ``dossier_step`` rows (every column, ``_versions`` included) equal the hub's rows of its
    unit, its reference tables equal the hub's, and it holds no other unit's records;
(c) the hub's journal has no gap and no duplicate per origin (seq 1..n for each), each ward's
    n is its whole change log, and nothing is left held;
(d) no dossier code is held by two dossiers.

Two events test what a deployment meets beyond failures: ``hang`` (the proxy accepts
connections and answers nothing, as a stopped hub or a black-holing router does) and
``restore`` (a ward's folder restored from a ``ward-node backup`` taken a little earlier, after
what it wrote since reached the hub).

A seed fixes the ward codes, the skew, the chunk sizes, the fault plan, every writer's choices
and the proxy's sequence of decisions; the interleaving of processes is the machine's. Replay a
seed with ``python bench/bench_faults.py --scenarios 1 --seed N --size S --wards W``.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import urllib3

from sync import record_type
from tests.faults.proxy import KINDS, FaultConfig, FaultProxy
from tests.support import PASSWORD, Cluster, Server, env, query, run, wait_until

WARD_CODES = ("19786", "19744", "19750")  # Phú Hội, Phú Thuận, Tây Lộc
PROCEDURE = "1.001193"
# What the ``faketime`` command (Debian package faketime) preloads; the servers are started by
# tests/support/cluster.py, so the harness sets the variables the wrapper would (LD_PRELOAD, FAKETIME).
LIBFAKETIME = next(
    iter(sorted(Path("/usr/lib").glob("*/faketime/libfaketimeMT.so.1"))),
    Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"),
)
NAMES = ["Nguyễn Văn Đức", "Trần Thị Thuỷ", "Lê Văn Hoà", "Phạm Thị Đào", "Hoàng Văn An"]
SCENARIO_FAULTS = (
    "partition",
    "hang",
    "ward_kill",
    "hub_kill",
    "sync_kill",
    "restore",
    "clock_skew",
    "clock_jump",
)
ALL_FAULTS = (*KINDS, *SCENARIO_FAULTS)
NEXT_ACTION = {2: ("start", 4), 4: ("complete", 9), 9: ("return", 10)}
REFERENCE_TABLES = ("procedure", "unit", "calendar_day")
RECORD_TABLES = ("dossier", "dossier_step")


@dataclass
class ScenarioResult:
    """What one scenario did and found."""

    seed: int
    size: int
    wards: int
    root: Path
    faults: Counter[str] = field(default_factory=Counter)
    changes_written: int = 0  # writes acknowledged to a user (ward clerks and hub admins)
    changes_logged: int = 0  # ward change-log entries that reached the hub's journal
    changes_lost: int = 0
    replicas_diverged: int = 0
    journal_defects: int = 0
    codes_reused: int = 0  # dossier codes held by two dossiers at the hub
    stuck: int = 0
    crashes: int = 0
    errors: int = 0  # answers no correct system gives: 5xx, refusals of allowed writes
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # not failures: worth a look
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not (
            self.changes_lost
            or self.replicas_diverged
            or self.journal_defects
            or self.codes_reused
            or self.stuck
            or self.crashes
            or self.errors
        )

    def replay(self) -> str:
        return (
            f"python bench/bench_faults.py --scenarios 1 --seed {self.seed} "
            f"--size {self.size} --wards {self.wards} --keep"
        )

    def summary(self) -> str:
        faults = ", ".join(f"{k} {self.faults.get(k, 0)}" for k in ALL_FAULTS)
        return (
            f"seed {self.seed} (size {self.size}, {self.wards} wards, {self.seconds:.1f}s): "
            f"written {self.changes_written}, logged {self.changes_logged}, "
            f"lost {self.changes_lost}, diverged {self.replicas_diverged}, "
            f"journal defects {self.journal_defects}, codes reused {self.codes_reused}, "
            f"stuck {self.stuck}, "
            f"crashes {self.crashes}, errors {self.errors}; faults: {faults}"
        )

    def report(self) -> str:
        lines = [self.summary()]
        lines += [f"  PROBLEM: {p}" for p in self.problems]
        lines += [f"  note: {n}" for n in self.notes]
        lines.append(f"  data and logs: {self.root}")
        lines.append(f"  replay: {self.replay()}")
        return "\n".join(lines)


# -- HTTP ------------------------------------------------------------------------------------


class Unsent(Exception):
    """The request never reached the server (connection refused): it did nothing."""


class Unsure(Exception):
    """The request may have reached the server, but no answer came back."""


def _never_sent(exc: requests.RequestException) -> bool:
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


class Api:
    """A logged-in JSON client of a server whose URL may change (a restarted ward)."""

    def __init__(self, base: Callable[[], str], username: str) -> None:
        self.base = base
        self.username = username
        self.session = requests.Session()
        self.session.trust_env = False
        self.headers: dict[str, str] | None = None

    def close(self) -> None:
        self.session.close()

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """(status, JSON body); :class:`Unsent` or :class:`Unsure` when no answer came."""
        for _ in range(2):
            if self.headers is None:
                self.headers = self._login()
            try:
                resp = self.session.request(
                    method, self.base() + path, json=body, headers=self.headers, timeout=15
                )
            except requests.RequestException as exc:
                raise (Unsent if _never_sent(exc) else Unsure)(repr(exc)) from exc
            if resp.status_code == 401:
                self.headers = None
                continue
            try:
                data = resp.json()
            except ValueError:
                data = {"raw": resp.text[:300]}
            return resp.status_code, data
        return 401, {}

    def _login(self) -> dict[str, str]:
        try:
            resp = self.session.post(
                self.base() + "/api/v1/auth/token",
                json={"username": self.username, "password": PASSWORD},
                timeout=15,
            )
        except requests.RequestException as exc:
            raise Unsent(repr(exc)) from exc
        if resp.status_code != 200:
            raise Unsent(f"login answered {resp.status_code}")
        return {"Authorization": "Bearer " + resp.json()["token"]}


# -- what users were told --------------------------------------------------------------------


@dataclass
class Book:
    """What the API told users about one dossier (the writer's and the admins' ledger)."""

    id: str
    unit: str
    state: dict[str, Any] = field(default_factory=dict)  # fields except notes, last told
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str | None] = field(default_factory=list)  # acknowledged notes, in order
    notes_unsure: list[str] = field(default_factory=list)
    admin_notes: list[str] = field(default_factory=list)
    admin_unsure: list[str] = field(default_factory=list)
    pending: dict[str, Any] | None = None  # a write whose answer was lost
    acked: int = 0

    def absorb(self, dossier: dict[str, Any]) -> None:
        """Take what the API answered: the record's fields (not computed keys such as
        ``steps`` or ``overdue``; notes have their own ledger) and its steps."""
        fields = record_type("dossier").fields
        self.state = {k: v for k, v in dossier.items() if k in fields and k != "notes"}
        step_fields = record_type("dossier_step").fields
        for step in dossier.get("steps", []):
            self.steps[step["id"]] = {k: v for k, v in step.items() if k in step_fields}


class Ledger:
    """Every ward's books, shared by the writers, the admin and the checks."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.books: dict[str, dict[str, Book]] = {}
        self.written = 0
        self.unsure_creates = 0
        self.problems: list[str] = []
        self.lost = 0
        self.errors = 0

    def add(self, book: Book) -> None:
        with self.lock:
            self.books.setdefault(book.unit, {})[book.id] = book

    def of(self, unit: str) -> list[Book]:
        with self.lock:
            return list(self.books.get(unit, {}).values())

    def acked(self) -> None:
        with self.lock:
            self.written += 1

    def problem(self, text: str, lost: int = 0) -> None:
        """A write lost (``lost`` > 0), or else an answer no correct system gives (an error)."""
        with self.lock:
            self.problems.append(text)
            self.lost += lost
            self.errors += not lost


# -- processes -------------------------------------------------------------------------------


class Ward:
    """A ward node process that may be killed and restarted (on a new port)."""

    def __init__(self, cluster: Cluster, unit: str, env: dict[str, str], interval: float) -> None:
        self.cluster, self.unit, self.env, self.interval = cluster, unit, env, interval
        self.server: Server | None = None
        self.lock = threading.Lock()
        self.desk = threading.Lock()  # held by the writer around each write (see "restore")

    @property
    def data(self) -> Path:
        return self.cluster.ward_data(self.unit)

    def url(self) -> str:
        server = self.server
        return server.url if server is not None else "http://127.0.0.1:9"

    def start(self) -> None:
        self.server = self.cluster.start_ward(self.unit, interval=self.interval, **self.env)

    def kill(self) -> None:
        if self.server is not None:
            self.server.kill()

    def alive(self) -> bool:
        return self.server is not None and self.server.proc.poll() is None

    def logs(self) -> list[Path]:
        return sorted(self.data.parent.glob(f"{self.data.name}-*.log"))


def enroll(cluster: Cluster, unit: str, hub_url: str) -> Path:
    """Enroll a ward node for ``unit`` with ``hub_url`` (the proxy) as its hub; add a clerk."""
    secret = run(
        "central_hub",
        "enroll",
        "--data",
        str(cluster.hub_data),
        "--unit",
        unit,
        "--hub-url",
        hub_url,
    ).stdout.strip()
    data = cluster.ward_data(unit)
    run(
        "ward_node",
        "init",
        "--data",
        str(data),
        "--unit",
        unit,
        "--hub",
        hub_url,
        "--token",
        secret,
    )
    run(
        "ward_node",
        "user",
        "add",
        "--data",
        str(data),
        "--username",
        "canbo",
        "--role",
        "officer",
        "--full-name",
        "Lê Thị Thu Hà",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    return data


def tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join("    | " + line for line in text.splitlines()[-lines:])


# -- the writer ------------------------------------------------------------------------------


class Writer(threading.Thread):
    """A clerk at one ward: ``size`` acknowledged writes through the ward's API."""

    def __init__(
        self,
        ward: Ward,
        ledger: Ledger,
        rng: random.Random,
        size: int,
        deadline: float,
        pace: float,
    ) -> None:
        super().__init__(name=f"writer-{ward.unit}", daemon=True)
        self.ward, self.ledger, self.rng, self.pace = ward, ledger, rng, pace
        self.size, self.deadline = size, deadline
        self.api = Api(ward.url, "canbo")
        self.done = 0
        self.attempts = 0
        self.counter = 0
        self.error: str | None = None

    def run(self) -> None:
        try:
            while (
                self.done < self.size
                and self.attempts < self.size * 20
                and time.monotonic() < self.deadline
            ):
                self.attempts += 1
                try:
                    with self.ward.desk:
                        wrote = self.step()
                    if wrote:
                        self.done += 1
                        self.ledger.acked()
                    if self.rng.random() < 0.15:  # the clerk presses "sync now"
                        self.api.call("POST", "/api/v1/sync/run")
                    time.sleep(self.rng.uniform(0, 2 * self.pace))
                except Unsent:
                    time.sleep(0.1)  # the ward is down (killed, restarting)
                except Unsure:
                    pass  # only "sync now" gets here; a write records its own doubt
        except Exception as exc:  # a bug of the harness: report it, never hang the test
            self.error = f"writer {self.ward.unit} crashed: {exc!r}"
        finally:
            self.api.close()

    def note(self) -> str:
        self.counter += 1
        return f"Ghi chú {self.ward.unit}-{self.counter}: đã gọi điện hẹn công dân"

    def step(self) -> bool:
        """One write attempt; True when the API acknowledged it."""
        books = self.ledger.of(self.ward.unit)
        if not books or self.rng.random() < 0.3:
            return self.create()
        book = self.rng.choice(books)
        if book.pending is not None:
            refresh(self.api, book, self.ledger)
            if book.pending is not None:
                return False
        choice = self.rng.random()
        if choice < 0.35:
            value = self.note()
            return self.write(book, "PATCH", "", {"notes": value}, {"notes": value})
        if choice < 0.5:
            phone = f"0905{self.rng.randint(100000, 999999)}"
            return self.write(book, "PATCH", "", {"applicant": {"phone": phone}}, {"phone": phone})
        status = int(book.state.get("status", 2))
        if status not in NEXT_ACTION:
            value = self.note()
            return self.write(book, "PATCH", "", {"notes": value}, {"notes": value})
        action, target = NEXT_ACTION[status]
        return self.write(book, "POST", "/actions", {"action": action}, {"status": target})

    def create(self) -> bool:
        self.counter += 1
        body = {
            "procedure_code": PROCEDURE,
            "applicant": {
                "full_name": self.rng.choice(NAMES),
                "phone": f"0905{self.rng.randint(100000, 999999)}",
            },
            "channel": "in_person",
            "notes": f"Hồ sơ {self.ward.unit}-{self.counter} tiếp nhận tại bộ phận một cửa",
        }
        try:
            status, data = self.api.call("POST", "/api/v1/dossiers", body)
        except Unsure:
            with self.ledger.lock:
                self.ledger.unsure_creates += 1
            return False
        if status != 201:
            self.ledger.problem(f"ward {self.ward.unit}: receiving a dossier answered {status}")
            return False
        book = Book(data["id"], self.ward.unit, notes=[data["notes"]], acked=1)
        book.absorb(data)
        self.ledger.add(book)
        return True

    def write(
        self, book: Book, method: str, suffix: str, body: dict[str, Any], intent: dict[str, Any]
    ) -> bool:
        path = f"/api/v1/dossiers/{book.id}{suffix}"
        try:
            status, data = self.api.call(method, path, body)
        except Unsure:
            book.pending = intent
            if "notes" in intent:
                book.notes_unsure.append(intent["notes"])
            return False
        if status >= 500:
            book.pending = intent
            if "notes" in intent:
                book.notes_unsure.append(intent["notes"])
            self.ledger.problem(f"ward {self.ward.unit}: {method} {path} answered {status}: {data}")
            return False
        if status >= 300:
            self.ledger.problem(
                f"ward {self.ward.unit}: {method} {path} {body} answered {status} {data} although "
                f"the clerk was last told {book.state.get('status')=}"
            )
            book.pending = {}
            return False
        book.absorb(data)
        book.acked += 1
        if "notes" in intent:
            book.notes.append(intent["notes"])
        return True


def refresh(api: Api, book: Book, ledger: Ledger) -> None:
    """Read a dossier whose last write lost its answer; check the ward kept what it had
    acknowledged, then take what it shows as told (the clerk sees it)."""
    try:
        status, data = api.call("GET", f"/api/v1/dossiers/{book.id}")
    except (Unsent, Unsure):
        return
    if status == 404:
        ledger.problem(f"ward {book.unit} lost acknowledged dossier {book.id}", lost=book.acked)
        book.pending = None
        return
    if status != 200:
        return
    pending = book.pending or {}
    allowed = {book.state.get("status"), pending.get("status", book.state.get("status"))}
    if data.get("status") not in allowed:
        ledger.problem(
            f"ward {book.unit} dossier {book.id}: status {data.get('status')} after restart, "
            f"acknowledged {book.state.get('status')} (pending {pending})",
            lost=1,
        )
    if "phone" not in pending and data.get("applicant") != book.state.get("applicant"):
        ledger.problem(
            f"ward {book.unit} dossier {book.id}: applicant {data.get('applicant')} after "
            f"restart, acknowledged {book.state.get('applicant')}",
            lost=1,
        )
    shown = {s["id"] for s in data.get("steps", [])}
    missing = set(book.steps) - shown
    if missing:
        ledger.problem(
            f"ward {book.unit} dossier {book.id}: acknowledged steps {sorted(missing)} gone",
            lost=len(missing),
        )
    book.absorb(data)
    if pending.get("notes") is not None and data.get("notes") == pending["notes"]:
        book.notes.append(pending["notes"])
        book.notes_unsure.remove(pending["notes"])
    book.pending = None


class Admin(threading.Thread):
    """An administrator at the hub who now and then edits the notes of a ward's dossier,
    straight at the hub (racing the hub's kills) while the writers work."""

    def __init__(
        self, cluster: Cluster, units: tuple[str, ...], ledger: Ledger, rng: random.Random
    ) -> None:
        super().__init__(name="admin", daemon=True)
        self.cluster, self.units, self.ledger, self.rng = cluster, units, ledger, rng
        self.stop = threading.Event()
        self.api = Api(lambda: cluster.hub_url, "admin")
        self.error: str | None = None

    def run(self) -> None:
        try:
            while not self.stop.wait(self.rng.uniform(0.05, 0.4)):
                try:
                    self.edit()
                except Unsent:
                    pass  # the hub is down
        except Exception as exc:
            self.error = f"admin crashed: {exc!r}"
        finally:
            self.api.close()

    def edit(self) -> None:
        books = self.ledger.of(self.rng.choice(self.units))
        if not books:
            return
        book = self.rng.choice(books[: max(1, len(books) * 2 // 3)])  # likely synced already
        value = f"Thành phố kiểm tra lần {self.rng.randint(1, 10**6)} (quản trị viên)"
        try:
            status, data = self.api.call("PATCH", f"/api/v1/dossiers/{book.id}", {"notes": value})
        except Unsure:
            book.admin_unsure.append(value)
            return
        if status == 200:
            book.admin_notes.append(value)
            self.ledger.acked()
        elif status >= 500:
            book.admin_unsure.append(value)
            self.ledger.problem(f"hub: admin PATCH {book.id} answered {status}: {data}")
        elif status != 404:  # 404: the hub has not received that dossier yet
            self.ledger.problem(f"hub: admin PATCH {book.id} answered {status}: {data}")


# -- the scenario ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """Everything a seed decides before the processes start."""

    units: tuple[str, ...]
    chunks: dict[str, int]
    skew_unit: str | None
    skew_s: int
    events: tuple[str, ...]


def make_plan(seed: int, size: int, wards: int, skew: bool) -> Plan:
    rng = random.Random(seed)
    units = tuple(sorted(rng.sample(WARD_CODES, wards)))
    chunks = {u: rng.choice((3, 8, 25, 5000)) for u in units}
    skew_unit = rng.choice(units) if skew else None
    skew_s = rng.choice((-1, 1)) * rng.randint(60, 180)
    n = max(8, 3 + size // 6)
    kinds = ["partition", "ward_kill", "hub_kill", "sync_kill", "faulty", "restore", "hang"]
    weighted = [
        "clean",
        "partition",
        "hang",
        "ward_kill",
        "hub_kill",
        "sync_kill",
        "cli_sync",
        "pause",
    ]
    if skew_unit is not None:
        kinds.append("clock_jump")
    kinds += [rng.choice(weighted) for _ in range(n - len(kinds))]
    rng.shuffle(kinds)
    return Plan(units, chunks, skew_unit, skew_s, tuple(kinds))


class Scenario:
    """One run: build, write under faults, converge, check."""

    def __init__(
        self,
        root: Path,
        seed: int,
        size: int,
        *,
        wards: int = 2,
        interval: float = 0.3,
        pace: float = 0.15,
        faults: FaultConfig | None = None,
        skew: bool = True,
        log: Callable[[str], None] | None = None,
    ) -> None:
        if not 2 <= wards <= len(WARD_CODES):
            raise ValueError(f"wards must be 2..{len(WARD_CODES)}")
        self.root, self.seed, self.size, self.interval = root, seed, size, interval
        self.pace = pace
        self.plan = make_plan(seed, size, wards, skew and LIBFAKETIME.exists())
        self.result = ScenarioResult(seed, size, wards, root)
        self.ledger = Ledger()
        self.log = log or (lambda _msg: None)
        self.cluster = Cluster(root)
        self.proxy: FaultProxy | None = None
        self.fault_config = faults or FaultConfig()
        self.wards: dict[str, Ward] = {}
        self.background: list[threading.Thread] = []

    # -- phases --------------------------------------------------------------------------------

    def run(self) -> ScenarioResult:
        started = time.monotonic()
        try:
            self.build()
            self.write_under_faults()
            self.converge()
            self.check()
        except Exception as exc:
            self.result.problems.append(f"scenario aborted: {exc!r}")
            self.result.stuck += 1
        finally:
            self.close()
        if self.proxy is not None:
            self.result.faults.update(self.proxy.snapshot())
        self.result.changes_written = self.ledger.written
        self.result.changes_lost += self.ledger.lost
        self.result.errors += self.ledger.errors
        self.result.problems[:0] = self.ledger.problems
        self.result.seconds = time.monotonic() - started
        return self.result

    def build(self) -> None:
        self.cluster.start_hub()
        self.proxy = FaultProxy(
            self.cluster.hub_port, seed=self.seed, config=self.fault_config
        ).start()
        for unit in self.plan.units:
            enroll(self.cluster, unit, self.proxy.url)
            env = {
                "WARD_NODE_BACKOFF_MAX": "1",
                "WARD_NODE_SYNC_CHUNK": str(self.plan.chunks[unit]),
                # Short deadlines, so a "hang" outlasts them (docs/sync.md, "A hanging link").
                "WARD_NODE_SYNC_READ_TIMEOUT": "2",
                "WARD_NODE_SYNC_DEADLINE": "6",
            }
            if unit == self.plan.skew_unit:
                env.update(
                    LD_PRELOAD=str(LIBFAKETIME),
                    FAKETIME=f"{self.plan.skew_s:+d}s",
                    FAKETIME_DONT_FAKE_MONOTONIC="1",
                )
                self.result.faults["clock_skew"] += 1
                self.result.notes.append(f"ward {unit} clock skewed {self.plan.skew_s:+d}s")
            ward = Ward(self.cluster, unit, env, self.interval)
            ward.start()
            self.wards[unit] = ward
        self.log(f"seed {self.seed}: wards {self.plan.units} chunks {self.plan.chunks}")

    def write_under_faults(self) -> None:
        assert self.proxy is not None
        self.proxy.set_faulty(True)
        deadline = time.monotonic() + 60 + self.size * 2
        writers = [
            Writer(
                w, self.ledger, random.Random(f"{self.seed}:{u}"), self.size, deadline, self.pace
            )
            for u, w in self.wards.items()
        ]
        admin = Admin(
            self.cluster, self.plan.units, self.ledger, random.Random(f"{self.seed}:admin")
        )
        for writer in writers:
            writer.start()
        admin.start()
        events = self.plan.events
        for i, kind in enumerate(events):
            share = self.size * (i + 1) / (len(events) + 1)
            self._wait_progress(writers, share, deadline)
            self.event(i, kind)
        for thread in [*writers, *self.background]:
            thread.join(max(1.0, deadline - time.monotonic()))
        for writer in writers:
            if writer.is_alive():
                self.result.problems.append(f"writer {writer.ward.unit} still running")
                self.result.stuck += 1
            if writer.error:
                self.result.problems.append(writer.error)
            if writer.done < self.size:
                self.result.notes.append(
                    f"writer {writer.ward.unit} made {writer.done}/{self.size} writes"
                )
        admin.stop.set()
        admin.join(20)
        if admin.error:
            self.result.problems.append(admin.error)
        self.proxy.set_clean()
        self.proxy.come_up()

    def _wait_progress(self, writers: list[Writer], share: float, deadline: float) -> None:
        while time.monotonic() < deadline:
            if all(w.done >= share or not w.is_alive() for w in writers):
                return
            time.sleep(0.02)

    def event(self, i: int, kind: str) -> None:
        """Event ``i`` of the plan; its parameters come from its own seeded generator."""
        assert self.proxy is not None
        r = random.Random(f"{self.seed}:event:{i}")
        self.log(
            f"  event {i} {kind} (proxy {self.proxy.requests} requests, "
            f"{sum(self.proxy.counts.values())} faults, hub unreachable "
            f"{self.proxy.upstream_unreachable}; {self.ledger.written} writes)"
        )
        if kind in SCENARIO_FAULTS and kind != "restore":  # counted once it is done
            self.result.faults[kind] += 1
        if kind == "faulty":
            self.proxy.set_faulty(True)
        elif kind == "clean":
            self.proxy.set_clean()
            time.sleep(r.uniform(0.2, 0.7))
            self.proxy.set_faulty(True)
        elif kind == "partition":
            self.proxy.go_down()
            time.sleep(r.uniform(0.3, 1.8))
            self.proxy.come_up()
        elif kind in ("ward_kill", "clock_jump"):
            unit = r.choice(self.plan.units) if kind == "ward_kill" else self.plan.skew_unit
            assert unit is not None
            ward = self.wards[unit]
            time.sleep(r.uniform(0, 0.3))  # a moment of its own, not the writers' beat
            with ward.lock:
                ward.kill()
                time.sleep(r.uniform(0, 1.0))
                if r.random() < 0.3:  # restarted with another SYNC_CHUNK
                    ward.env["WARD_NODE_SYNC_CHUNK"] = str(r.choice((2, 5, 40, 5000)))
                if kind == "clock_jump":
                    # Someone sets the clock right (or wrong the other way) while it is down.
                    skew = r.choice((0, -1, 1)) * r.randint(60, 180)
                    ward.env["FAKETIME"] = f"{skew:+d}s"
                    self.result.notes.append(f"ward {unit} clock now {skew:+d}s after a restart")
                ward.start()
        elif kind == "hub_kill":
            assert self.cluster.hub is not None
            time.sleep(r.uniform(0, 0.3))
            self.cluster.hub.kill()
            time.sleep(r.uniform(0.2, 1.2))
            self.cluster.start_hub()
        elif kind == "sync_kill":
            # A one-off 'ward-node sync' beside the running node, SIGKILLed at a random moment.
            ward = self.wards[r.choice(self.plan.units)]
            proc = subprocess.Popen(
                [sys.executable, "-m", "ward_node", "sync", "--data", str(ward.data)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env(),
            )
            try:
                proc.wait(r.uniform(0.3, 1.2))
            except subprocess.TimeoutExpired:
                pass
            proc.kill()
            proc.wait(10)
        elif kind == "cli_sync":
            # A one-off 'ward-node sync' racing the node's own worker for the sync lock.
            ward = self.wards[r.choice(self.plan.units)]
            thread = threading.Thread(target=self._cli_sync, args=(ward,), daemon=True)
            thread.start()
            self.background.append(thread)
        elif kind == "pause":
            time.sleep(r.uniform(0.2, 0.7))
        elif kind == "hang":
            self.proxy.hang()
            time.sleep(r.uniform(1.0, 4.0))  # past the wards' read deadline, at times
            self.proxy.release()
        elif kind == "restore":
            self._restore(self.wards[r.choice(self.plan.units)], i, r)

    def _restore(self, ward: Ward, i: int, r: random.Random) -> None:
        """The ward's disk dies and IT restores it from a backup taken a little earlier.

        ``ward-node backup`` runs while the ward serves; the desk works on past it; then the
        desk stops while what it wrote reaches the hub (what was never sent dies with a disk,
        which no software can help), the node is killed, its folder restored with
        ``ward-node restore``, and the node started again: at its first sync it must get back
        from the hub everything it had sent since the backup (docs/sync.md, "Restores").
        """
        copy = self.root / f"backup-{ward.unit}-{i}"
        made = run("ward_node", "backup", "--data", str(ward.data), "--out", str(copy), check=False)
        if made.returncode != 0:
            self.ledger.problem(f"ward {ward.unit}: backup failed: {made.stderr.strip()}")
            return
        time.sleep(r.uniform(0.5, 2.0))  # the desk works on past the backup
        with ward.desk, ward.lock:
            drained = _wait_drained(ward, 60)
            if not drained:
                self.result.notes.append(f"ward {ward.unit}: not drained in 60 s, no restore")
                return
            ward.kill()
            shutil.rmtree(ward.data)
            done = run(
                "ward_node", "restore", "--data", str(ward.data), "--from", str(copy), check=False
            )
            if done.returncode != 0:
                self.ledger.problem(f"ward {ward.unit}: restore failed: {done.stderr.strip()}")
                shutil.copytree(copy, ward.data)
            # The link is down when the PC comes back: the desk receives citizens meanwhile,
            # under codes from the copy's counters, which the city may already hold.
            assert self.proxy is not None
            self.proxy.go_down()
            try:
                ward.start()
                writer = Writer(ward, self.ledger, r, 2, time.monotonic() + 30, 0)
                for _ in range(2):
                    try:
                        writer.create()
                    except (Unsent, Unsure):
                        pass
                writer.api.close()
            finally:
                self.proxy.come_up()
            # The desk goes on once the node has made peace with the hub (what it reads until
            # then is the copy's, as it was when the copy was taken).
            if not _wait_synced(ward, 90):
                self.ledger.problem(f"ward {ward.unit}: not synced 90 s after its restore")
            self.result.faults["restore"] += 1
            self.result.notes.append(f"ward {ward.unit} restored from a backup")

    def _cli_sync(self, ward: Ward) -> None:
        done = run("ward_node", "sync", "--data", str(ward.data), check=False)
        if done.returncode not in (0, 2):  # 2: the hub unreachable, as faults make it
            self.ledger.problem(
                f"ward {ward.unit}: 'ward-node sync' during the faults exited "
                f"{done.returncode}: {done.stderr.strip()}"
            )

    def converge(self) -> None:
        """Faults off, every process up; sync each ward until synced, then once more."""
        assert self.cluster.hub is not None
        if self.cluster.hub.proc.poll() is not None:
            self.crash("hub", self.cluster.hub.log)
            self.cluster.start_hub()
        for ward in self.wards.values():
            if not ward.alive():
                assert ward.server is not None
                self.crash(f"ward {ward.unit}", ward.server.log)
                ward.start()
        for ward in self.wards.values():
            api = Api(ward.url, "canbo")
            try:
                last: dict[str, Any] = {}

                def synced(api: Api = api) -> bool:
                    nonlocal last
                    try:
                        _s, last = api.call("GET", "/api/v1/sync/status")
                        if last.get("state") == "synced" and last.get("pending_changes") == 0:
                            return True
                        api.call("POST", "/api/v1/sync/run")
                    except (Unsent, Unsure):
                        pass
                    return False

                try:
                    wait_until(synced, 60, interval=0.3, what=f"ward {ward.unit} synced")
                except AssertionError:
                    self.result.stuck += 1
                    assert ward.server is not None
                    self.result.problems.append(
                        f"ward {ward.unit} never reported synced with 0 pending within 60s after "
                        f"the faults stopped; last status {json.dumps(last, ensure_ascii=False)}"
                        f"\n  log {ward.server.log}:\n{tail(ward.server.log)}"
                    )
            finally:
                api.close()
        for ward in self.wards.values():
            done = run("ward_node", "sync", "--data", str(ward.data), check=False)
            if done.returncode != 0:
                self.result.stuck += 1
                self.result.problems.append(
                    f"ward {ward.unit}: final 'ward-node sync' failed: {done.stderr.strip()}"
                )

    def crash(self, who: str, log: Path) -> None:
        self.result.crashes += 1
        self.result.problems.append(f"{who} exited on its own; log {log}:\n{tail(log)}")

    # -- checks --------------------------------------------------------------------------------

    def check(self) -> None:
        hub_db = self.cluster.hub_data / "hub.sqlite3"
        for ward in self.wards.values():
            self.check_acknowledged(ward, hub_db)
            self.check_replica(ward, hub_db)
        self.check_journal(hub_db)
        self.check_codes(hub_db)
        self.check_logs()

    def check_codes(self, hub_db: Path) -> None:
        """(d) no dossier code is held by two dossiers (a restored ward reuses none)."""
        for code, count in query(
            hub_db, "SELECT code, count(*) FROM dossier GROUP BY code HAVING count(*) > 1"
        ):
            self.result.codes_reused += 1
            self.result.problems.append(f"dossier code {code} held by {count} dossiers")

    def check_acknowledged(self, ward: Ward, hub_db: Path) -> None:
        """(a) every write acknowledged to a user is at the hub, with its values."""
        local = Api(ward.url, "canbo")
        hub = Api(lambda: self.cluster.hub_url, "admin")
        try:
            for book in self.ledger.of(ward.unit):
                if book.pending is not None:
                    refresh(local, book, self.ledger)
                status, there = hub.call("GET", f"/api/v1/dossiers/{book.id}")
                if status != 200:
                    self.lost(
                        book.acked + len(book.admin_notes),
                        f"ward {ward.unit} dossier {book.id} acknowledged "
                        f"{book.acked} times is not at the hub ({status})",
                    )
                    continue
                renumbered = there.get("previous_code") == book.state.get("code")
                for name, value in book.state.items():
                    if renumbered and name in ("code", "previous_code"):
                        continue  # renumbered after a restore, the citizen told (docs/sync.md)
                    if there.get(name) != value:
                        self.lost(
                            1,
                            f"ward {ward.unit} dossier {book.id}: hub has {name}="
                            f"{there.get(name)!r}, the clerk was told {value!r}",
                        )
                hub_steps = {s["id"]: s for s in there.get("steps", [])}
                for step_id, step in book.steps.items():
                    if {k: hub_steps.get(step_id, {}).get(k) for k in step} != step:
                        self.lost(
                            1,
                            f"ward {ward.unit} dossier {book.id}: acknowledged step {step_id} "
                            f"is {'different' if step_id in hub_steps else 'missing'} at the hub",
                        )
                self.check_notes(ward, book, there, hub_db)
        finally:
            local.close()
            hub.close()

    def check_notes(self, ward: Ward, book: Book, there: dict[str, Any], hub_db: Path) -> None:
        rows = query(
            hub_db,
            "SELECT hlc, origin, fields FROM journal WHERE type = 'dossier' AND id = ?",
            book.id,
        )
        written = [
            (hlc, origin, json.loads(f)["notes"])
            for hlc, origin, f in rows
            if "notes" in json.loads(f)
        ]
        in_journal = {value for _h, _o, value in written}
        for value in [*book.notes, *book.admin_notes]:
            if value not in in_journal:
                self.lost(
                    1,
                    f"ward {ward.unit} dossier {book.id}: acknowledged notes {value!r} "
                    "never reached the hub's journal",
                )
        if not written:
            return
        newest = max(written)[2]
        told = {*book.notes, *book.notes_unsure, *book.admin_notes, *book.admin_unsure}
        if there.get("notes") != newest:
            self.lost(
                1,
                f"ward {ward.unit} dossier {book.id}: hub notes {there.get('notes')!r}, but the "
                f"newest written is {newest!r}",
            )
        elif there.get("notes") not in told:
            self.lost(1, f"dossier {book.id}: hub notes {there.get('notes')!r} nobody wrote")
        elif not (book.notes_unsure or book.admin_notes or book.admin_unsure):
            if there.get("notes") != book.notes[-1]:
                self.lost(
                    1,
                    f"ward {ward.unit} dossier {book.id}: hub notes {there.get('notes')!r}, "
                    f"the clerk's last acknowledged is {book.notes[-1]!r}",
                )

    def lost(self, count: int, text: str) -> None:
        self.result.changes_lost += count
        self.result.problems.append(text)

    def check_replica(self, ward: Ward, hub_db: Path) -> None:
        """(b) the ward holds exactly the hub's state for what is routed to it."""
        node_db = ward.data / "node.sqlite3"
        differences = []
        for table in RECORD_TABLES:
            foreign = query(node_db, f"SELECT count(*) FROM {table} WHERE unit != ?", ward.unit)
            if foreign[0][0]:
                differences.append(f"{table}: {foreign[0][0]} rows of another unit")
            mine = _rows(node_db, table, "WHERE unit = ?", ward.unit)
            theirs = _rows(hub_db, table, "WHERE unit = ?", ward.unit)
            differences += _diff(table, mine, theirs)
        for table in REFERENCE_TABLES:
            differences += _diff(table, _rows(node_db, table), _rows(hub_db, table))
        if differences:
            self.result.replicas_diverged += 1
            self.result.problems.append(
                f"ward {ward.unit} diverged from the hub: " + "; ".join(differences[:6])
            )

    def check_journal(self, hub_db: Path) -> None:
        """(c) no gap and no duplicate per origin; each ward's whole log is there."""
        rows = query(
            hub_db,
            "SELECT origin, count(*), count(DISTINCT seq), min(seq), max(seq) "
            "FROM journal GROUP BY origin",
        )
        by_origin = {r[0]: r[1:] for r in rows}
        for origin, (count, distinct, low, high) in by_origin.items():
            if not (count == distinct == high and low == 1):
                self.result.journal_defects += 1
                self.result.problems.append(
                    f"journal of {origin}: {count} entries, {distinct} distinct seqs, "
                    f"seq {low}..{high}"
                )
        held = query(hub_db, "SELECT origin, count(*) FROM held GROUP BY origin")
        for origin, count in held:
            self.result.journal_defects += 1
            self.result.problems.append(f"hub still holds {count} changes of {origin}")
        for ward in self.wards.values():
            node_db = ward.data / "node.sqlite3"
            node_id = query(node_db, "SELECT value FROM meta WHERE key = 'node_id'")[0][0]
            node_id = json.loads(node_id) if node_id.startswith('"') else node_id
            total = query(node_db, "SELECT coalesce(max(seq), 0) FROM changes")[0][0]
            acked = query(node_db, "SELECT value FROM meta WHERE key = 'acked_seq'")
            at_hub = by_origin.get(node_id, (0, 0, 0, 0))[0]
            self.result.changes_logged += at_hub
            if at_hub != total or not acked or int(acked[0][0]) != total:
                self.result.journal_defects += 1
                self.result.problems.append(
                    f"ward {ward.unit} ({node_id}): change log {total}, acknowledged "
                    f"{acked}, in the hub's journal {at_hub}"
                )

    def check_logs(self) -> None:
        """Errors the processes logged: crashes of the sync worker are bugs; refusals and
        tracebacks are reported for a look."""
        files = self._hub_logs()
        for ward in self.wards.values():
            files += ward.logs()
        for path in files:
            text = path.read_text(errors="replace")
            for marker in ("sync crashed", "sync refused"):
                count = text.count(marker)
                if count:
                    self.result.notes.append(f"{path.name}: {count} x {marker!r}")
            tracebacks = [t for t in _tracebacks(text) if "HeaderParsingError" not in t]
            if tracebacks:  # urllib3 logs one, harmlessly, for an answer cut mid-head
                self.result.notes.append(
                    f"{path.name}: {len(tracebacks)} traceback(s), the first ending "
                    f"{tracebacks[0].splitlines()[-1][:200]!r}"
                )
            if "sync crashed" in text:
                self.result.crashes += 1
                index = text.index("sync crashed")
                excerpt = "\n".join("    | " + ln for ln in text[index:].splitlines()[:25])
                self.result.problems.append(f"{path}: the sync worker crashed:\n{excerpt}")

    def _hub_logs(self) -> list[Path]:
        data = self.cluster.hub_data
        return sorted(data.parent.glob(f"{data.name}-*.log"))

    def close(self) -> None:
        try:
            self.cluster.close()
        finally:
            if self.proxy is not None:
                self.proxy.stop()


def _wait_synced(ward: Ward, timeout: float) -> bool:
    """Whether the ward reports "synced" with nothing pending in time."""
    api = Api(ward.url, "canbo")
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                status, data = api.call("GET", "/api/v1/sync/status")
                if status == 200 and data.get("state") == "synced" and not data["pending_changes"]:
                    return True
            except (Unsent, Unsure):
                pass
            time.sleep(0.2)
        return False
    finally:
        api.close()


def _wait_drained(ward: Ward, timeout: float) -> bool:
    """Whether the ward reports nothing pending (the hub acknowledged it all) in time."""
    api = Api(ward.url, "canbo")
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                status, data = api.call("GET", "/api/v1/sync/status")
                if status == 200 and data.get("pending_changes") == 0:
                    return True
                api.call("POST", "/api/v1/sync/run")
            except (Unsent, Unsure):
                pass
            time.sleep(0.2)
        return False
    finally:
        api.close()


def _tracebacks(text: str) -> list[str]:
    """Each Python traceback in a log: from its first line to its exception line."""
    found, lines = [], text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last)"):
            j = i + 1
            while j < len(lines) and (lines[j].startswith(" ") or not lines[j].strip()):
                j += 1
            found.append("\n".join(lines[i : j + 1]))
    return found


def _rows(db: Path, table: str, where: str = "", *params: Any) -> dict[str, dict[str, Any]]:
    conn_rows = query(db, f"SELECT * FROM {table} {where} ORDER BY id", *params)
    cols = [r[1] for r in query(db, f"PRAGMA table_info({table})")]
    return {row[cols.index("id")]: dict(zip(cols, row, strict=True)) for row in conn_rows}


def _diff(
    table: str, mine: dict[str, dict[str, Any]], theirs: dict[str, dict[str, Any]]
) -> list[str]:
    out = []
    only_here = sorted(set(mine) - set(theirs))
    only_there = sorted(set(theirs) - set(mine))
    if only_here:
        out.append(f"{table}: {len(only_here)} rows only at the ward, e.g. {only_here[0]}")
    if only_there:
        out.append(f"{table}: {len(only_there)} rows only at the hub, e.g. {only_there[0]}")
    for rid in sorted(set(mine) & set(theirs)):
        a, b = mine[rid], theirs[rid]
        if a != b:
            cols = sorted(c for c in a.keys() | b.keys() if a.get(c) != b.get(c))
            detail = ", ".join(f"{c}: ward {a.get(c)!r} hub {b.get(c)!r}" for c in cols[:3])
            out.append(f"{table} {rid} differs ({detail})")
    return out


def run_scenario(
    root: Path,
    seed: int,
    size: int,
    *,
    wards: int = 2,
    pace: float = 0.15,
    faults: FaultConfig | None = None,
    log: Callable[[str], None] | None = None,
) -> ScenarioResult:
    """Run one seeded scenario in ``root`` (an empty folder); see the module docstring."""
    return Scenario(root, seed, size, wards=wards, pace=pace, faults=faults, log=log).run()
