"""Overdue dossiers at the hub: the ward's rule (clock running, due time past), in absolute time
whatever offset the due time was written with."""

from __future__ import annotations

from pathlib import Path

from central_hub.dossiers.overdue import overdue_counts, overdue_dossiers
from central_hub.store import capture, open_store
from tests.hub.console.test_stats import _dossier

NOW = "2026-03-16T03:00:00+00:00"  # 10:00 on 16/03 in Huế


def test_overdue_means_a_running_clock_past_its_due_time(tmp_path: Path) -> None:
    (tmp_path / "hub").mkdir()
    conn = open_store(tmp_path / "hub")
    capture(conn).write_many(
        [
            _dossier(1, "A", "2026-03-02T02:00:00+00:00", 4, due_at="2026-03-10T10:00:00+00:00"),
            # 09:59 Huế time, written with +07:00: one minute past at NOW
            _dossier(2, "A", "2026-03-02T02:00:00+00:00", 2, due_at="2026-03-16T09:59:00+07:00"),
            # 10:01 Huế time: not yet due, although its text sorts before NOW's
            _dossier(3, "A", "2026-03-02T02:00:00+00:00", 2, due_at="2026-03-16T10:01:00+07:00"),
            # awaiting a supplement: the clock is stopped
            _dossier(4, "B", "2026-03-02T02:00:00+00:00", 5, due_at="2026-03-01T10:00:00+00:00"),
            # resolved late is not overdue any more
            _dossier(5, "B", "2026-03-02T02:00:00+00:00", 9, due_at="2026-03-01T10:00:00+00:00"),
            _dossier(6, "B", "2026-03-02T02:00:00+00:00", 6, due_at="2026-03-01T10:00:00+00:00"),
            _dossier(7, "B", "2026-03-07T02:00:00+00:00", 1, channel="online"),
        ],
        actor="admin",
    )
    assert overdue_counts(conn, NOW) == {"A": 2, "B": 1}
    every = overdue_dossiers(conn, NOW)
    assert [d["code"] for d in every] == ["WB-260301-0006", "WA-260301-0001", "WA-260301-0002"]
    assert [d["days_late"] for d in every] == [14, 5, 0]
    assert [d["code"] for d in overdue_dossiers(conn, NOW, unit="A")] == [
        "WA-260301-0001",
        "WA-260301-0002",
    ]
    conn.close()
