"""Fault-injection soak: many seeded scenarios (tests/faults/scenario.py), each a real hub and
ward nodes syncing through a faulty proxy while clerks and administrators write, with
partitions, SIGKILLs of wards and of the hub, and a skewed clock. Prints what was injected,
written, lost and diverged; exits 1 if any change was lost or any replica diverged.

    python bench/bench_faults.py [--scenarios 10] [--seed 100] [--size 60] [--wards 3]

Scenario i runs seed ``--seed + i``; replay one with ``--scenarios 1 --seed N`` (and the same
``--size`` and ``--wards``), ``--keep`` to keep its folders and logs.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.faults.scenario import ALL_FAULTS, LIBFAKETIME, run_scenario  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", type=int, default=10)
    parser.add_argument("--seed", type=int, default=100, help="seed of the first scenario")
    parser.add_argument("--size", type=int, default=60, help="acknowledged writes per ward")
    parser.add_argument("--wards", type=int, default=3, choices=(2, 3))
    parser.add_argument("--pace", type=float, default=0.15, help="mean seconds between writes")
    parser.add_argument("--keep", action="store_true", help="keep every scenario's folder")
    parser.add_argument("--quiet", action="store_true", help="no per-event lines")
    args = parser.parse_args(argv)
    if not LIBFAKETIME.exists():
        print(f"warning: {LIBFAKETIME} missing (apt-get install faketime): no clock skew")

    started = time.monotonic()
    faults: Counter[str] = Counter()
    written = logged = lost = diverged = defects = codes = stuck = crashes = errors = 0
    failed: list[int] = []
    for i in range(args.scenarios):
        seed = args.seed + i
        root = Path(tempfile.mkdtemp(prefix=f"wardsync-faults-{seed}-"))
        result = run_scenario(
            root,
            seed,
            args.size,
            wards=args.wards,
            pace=args.pace,
            log=None if args.quiet else lambda line: print(line, flush=True),
        )
        print(result.report() if not result.ok else result.summary(), flush=True)
        faults.update(result.faults)
        written += result.changes_written
        logged += result.changes_logged
        lost += result.changes_lost
        diverged += result.replicas_diverged
        defects += result.journal_defects
        codes += result.codes_reused
        stuck += result.stuck
        crashes += result.crashes
        errors += result.errors
        if not result.ok:
            failed.append(seed)
        elif not args.keep:
            shutil.rmtree(root, ignore_errors=True)

    wall = time.monotonic() - started
    print()
    print(
        f"scenarios run        {args.scenarios} (seeds {args.seed}..{args.seed + args.scenarios - 1}, "
        f"size {args.size}, {args.wards} wards)"
    )
    print(f"faults injected      {sum(faults.values())}")
    for kind in ALL_FAULTS:
        print(f"  {kind:<18} {faults.get(kind, 0)}")
    print(
        f"changes written      {written} acknowledged to users ({logged} ward change-log "
        "entries journaled at the hub)"
    )
    print(f"changes lost         {lost}")
    print(f"replicas diverged    {diverged}")
    print(f"journal defects      {defects}")
    print(f"codes reused         {codes}")
    print(f"stuck / crashed      {stuck} / {crashes}")
    print(f"wrong answers        {errors}")
    print(f"wall time            {wall:.1f}s")
    if failed:
        print(
            f"FAILED seeds: {failed}; replay one with: python bench/bench_faults.py "
            f"--scenarios 1 --seed N --size {args.size} --wards {args.wards} --keep"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
