"""A year of 27 wards syncing every 30 seconds, time-compressed: how big the hub's store gets.

Every visit, refusal, failed login, public look-up and SMS goes through the hub's real
functions (``sync_history.record_visit`` and ``record_refusal``, ``webapp.throttle``,
``sync.check_rate``, the SMS ``LogProvider``) on a real store, at simulated times; the
housekeeping round (``central_hub.housekeeping.run_once``) runs every simulated hour. At the
end of each simulated month it prints the store's size and the rows of each table that grows
with requests, beside the rows the previous design would hold (a row per visit, never pruned).

The city's day, as modelled (seeded): each ward syncs every 30 s around the clock, a pull each
time and a push when its desk wrote something since. On working days (Monday to Friday, 7:00
to 17:00 Huế time) a ward pushes changes on 100 visits, pulls something routed to it on 20,
sends or fetches 10 files; a refusal of one of its requests now and then (one a week); the
hub refuses 200 unsigned or junk requests a day, counts 30 failed logins from strangers' addresses
and 1,000 look-ups by citizens, and logs 1,100 SMS notices.

Quiet visits (nothing moved) only update their node's summary row. The first week runs every
one of them through ``record_visit``; afterwards one in ``--quiet-every`` (120: one a ward an
hour), the others only counted, to keep the run to minutes: by then the first week has shown
what they add (nothing but the count in the summary row).

    python bench/bench_growth.py [--days 365] [--quiet-every 120] [--seed 8]
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from central_hub import housekeeping, nodes  # noqa: E402
from central_hub.setup import init_hub, load_keys  # noqa: E402
from central_hub.sms.providers import LogProvider  # noqa: E402
from central_hub.store import open_store as open_hub  # noqa: E402
from central_hub.store import sync_history  # noqa: E402
from sync import ChangesetError, KeyPair, connect  # noqa: E402
from webapp import RateLimited, check_rate, throttle  # noqa: E402

HUE = timezone(timedelta(hours=7))
START = datetime(2027, 1, 1, tzinfo=HUE)
TICKS_PER_HOUR = 120  # a visit every 30 s
TABLES = (
    "sync_events",
    "sync_visits",
    "unverified_refusals",
    "login_failures",
    "public_lookups",
)


def enroll_wards(conn: sqlite3.Connection, data: Path) -> list[nodes.Node]:
    """One node for each of the 27 wards in the hub's reference data."""
    wards = [r[0] for r in conn.execute("SELECT code FROM unit WHERE kind = 'ward' ORDER BY code")]
    found = []
    for unit in wards:
        text = nodes.make_token(
            conn, unit=unit, name=unit, hub_url="http://hub", hub_keys=load_keys(data), hours=1
        )
        raw = text.split(".", 1)[1]
        secret = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))["secret"]
        found.append(
            nodes.redeem(
                conn, unit=unit, secret=secret, keys=KeyPair.generate().public, software="wardsync"
            )
        )
    return found


def sizes(conn: sqlite3.Connection, data: Path) -> tuple[dict[str, int], dict[str, int], int]:
    """Rows and bytes (table and its indexes) of each growing table, and the store's bytes."""
    rows = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    owner = dict(conn.execute("SELECT name, tbl_name FROM sqlite_master"))
    used: dict[str, int] = {}
    for name, size in conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
        table = owner.get(name, name)
        used[table] = used.get(table, 0) + int(size)
    files = sum(p.stat().st_size for p in data.glob("hub.sqlite3*") if p.suffix != ".lock")
    return rows, {t: used.get(t, 0) for t in TABLES}, files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--quiet-every", type=int, default=120)
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp_name:
        data = Path(tmp_name) / "hub"
        init_hub(data, name="Hub đo")
        conn = open_hub(data)
        wards = enroll_wards(conn, data)
        conn.close()
        # Durability is not measured here, sizes are: no fsync per visit.
        conn = connect(data / "hub.sqlite3", synchronous="OFF")
        sms = LogProvider(data / "sms.log")
        refused = ChangesetError("Gói thay đổi sai cấu trúc.", code="bad_changeset")
        junk_codes = ["bad_envelope", "unknown_sender", "bad_signature", "payload_too_large"]
        base = sizes(conn, data)[2]
        print(
            f"{len(wards)} wards, {args.days} days from {START:%d/%m/%Y}, a visit every 30 s; "
            f"store at start {base / 1e6:.1f} MB"
        )
        header = (
            f"{'month':>5} {'store MB':>9} {'sync_events':>12} {'sync_visits':>11} "
            f"{'unverified':>10} {'logins':>7} {'lookups':>8} {'sms.log MB':>10} "
            f"{'old design rows':>16} {'run s':>6}"
        )
        print(header)
        visits = through = old_rows = 0
        started = time.perf_counter()
        month = START.month
        for day in range(args.days):
            today = START + timedelta(days=day)
            working = today.weekday() < 5
            full = day < 7
            for hour in range(24):
                at = today + timedelta(hours=hour)
                t0 = at.timestamp()
                office = working and 7 <= hour < 17
                for node in wards:
                    # 120 pulls an hour; some pushes, pulls that bring something, files.
                    pushes = _count(rng, 100 / 10) if office else 0
                    pulls = _count(rng, 20 / 10) if office else 0
                    blobs = _count(rng, 10 / 10) if office else 0
                    for _ in range(pushes):
                        _visit(conn, node, t0 + rng.random() * 3600, "push", rng.randint(1, 40))
                    for _ in range(pulls):
                        _visit(conn, node, t0 + rng.random() * 3600, "pull", rng.randint(1, 30))
                    for _ in range(blobs):
                        kind = rng.choice(["blob_upload", "blob_upload", "blob_download"])
                        _visit(conn, node, t0 + rng.random() * 3600, kind, 1)
                    quiet = TICKS_PER_HOUR - pulls
                    replayed = quiet if full else quiet // args.quiet_every + 1
                    for i in range(replayed):
                        _visit(conn, node, t0 + i * 3600 / replayed, "pull", 0)
                    visits += pushes + TICKS_PER_HOUR + blobs
                    through += pushes + pulls + blobs + replayed
                    old_rows += pushes + TICKS_PER_HOUR + blobs
                if office and rng.random() < 27 / (5 * 10):  # a ward refused about once a week
                    sync_history.record_refusal(
                        conn, b"", "push", refused, rng.choice(wards), now=t0
                    )
                    old_rows += 1
                for _ in range(_count(rng, 200 / 24)):
                    error = ChangesetError("Gói không hợp lệ.", code=rng.choice(junk_codes))
                    sync_history.record_refusal(
                        conn, b"", "push", error, now=t0 + rng.random() * 3600
                    )
                for _ in range(_count(rng, 30 / 24)):
                    address = f"203.0.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
                    throttle.record_failure(conn, address, "admin", now=t0 + rng.random() * 3600)
                for _ in range(_count(rng, (1000 if working else 300) / 24)):
                    client = (
                        f"14.{rng.randint(160, 191)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
                    )
                    try:
                        check_rate(conn, client, 20, now=t0 + rng.random() * 3600)
                    except RateLimited:
                        pass
                for _ in range(_count(rng, 110) if office else 0):
                    sms.send(
                        "+84905123456",
                        "UBND phường Phú Hội: hồ sơ H57.19786-270104-0012 "
                        "của ông/bà đã có kết quả. Mời đến Bộ phận một cửa nhận kết quả.",
                    )
                housekeeping.run_once(conn, data, now=t0 + 3600)
            tomorrow = today + timedelta(days=1)
            if tomorrow.month != month or day == args.days - 1:
                month = tomorrow.month
                rows, _, store = sizes(conn, data)
                log_bytes = sum(p.stat().st_size for p in data.glob("sms.log*"))
                print(
                    f"{today:%m/%y}".rjust(5),
                    f"{store / 1e6:9.1f}",
                    f"{rows['sync_events']:12,}",
                    f"{rows['sync_visits']:11,}",
                    f"{rows['unverified_refusals']:10,}",
                    f"{rows['login_failures']:7,}",
                    f"{rows['public_lookups']:8,}",
                    f"{log_bytes / 1e6:10.1f}",
                    f"{old_rows:16,}",
                    f"{time.perf_counter() - started:6.0f}",
                    flush=True,
                )
        rows, used, store = sizes(conn, data)
        summary = conn.execute("SELECT sum(visits), sum(quiet) FROM sync_visits").fetchone()
        per_row = used["sync_events"] / max(rows["sync_events"], 1)
        print(
            f"\n{visits:,} visits simulated, {through:,} through record_visit; the summary rows "
            f"counted {summary[0]:,} ({summary[1]:,} quiet)."
        )
        print(
            f"sync_events: {rows['sync_events']:,} rows, {used['sync_events'] / 1e6:.1f} MB with "
            f"its indexes ({per_row:.0f} bytes a row). A row per visit, never pruned, would be "
            f"{old_rows:,} rows, about {old_rows * per_row / 1e9:.1f} GB."
        )
        print(f"store {store / 1e6:.1f} MB ({datetime.now(UTC):%d/%m/%Y}, seed {args.seed})")
        conn.close()


def _count(rng: random.Random, mean: float) -> int:
    """A Poisson count of events with ``mean`` (Knuth's method; means here are small)."""
    if mean > 30:
        return max(0, round(rng.gauss(mean, mean**0.5)))
    limit, k, p = pow(2.718281828459045, -mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _visit(conn: sqlite3.Connection, node: nodes.Node, at: float, kind: str, count: int) -> None:
    size = 300 + count * 700 if count else 300
    detail = (
        "replays=0 held=0" if kind == "push" else ("cursor=1" if kind == "pull" else "sha256=…")
    )
    started = time.perf_counter()
    sync_history.record_visit(
        conn, node, b"", size, kind, count, started, detail, measure_clock=False, now=at
    )


if __name__ == "__main__":
    main()
