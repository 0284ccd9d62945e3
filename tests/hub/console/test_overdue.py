"""The city's overdue list (``/console/thong-ke/qua-han``): the dossiers whose clock runs past
their due time now, longest overdue first, per ward with ``?unit=``, as CSV and Excel."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from flask.testing import FlaskClient
from openpyxl import load_workbook

from central_hub.store import capture, open_store
from tests.hub.console.test_stats import A, B, _dossier
from tests.support import console_login

HUE = timedelta(hours=7)


def _at(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).replace(microsecond=0).isoformat()


def _seed(tmp_path: Path) -> dict[str, datetime]:
    """Ward A: 10 days late (handler canbo), under a day late, not yet due, awaiting a
    supplement; ward B: 3 days late (due time written in Huế's offset), resolved late."""
    due = {
        "A1": datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=10, hours=2),
        "A2": datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=3),
        "B4": datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=3, hours=1),
    }
    received = _at(-timedelta(days=20))
    conn = open_store(tmp_path / "hub")
    capture(conn).write_many(
        [
            _dossier(1, A, received, 4, due_at=due["A1"].isoformat(), handler="canbo"),
            _dossier(
                2,
                A,
                received,
                2,
                due_at=due["A2"].isoformat(),
                applicant={"full_name": "Trần Thị Bích", "phone": "+84905123456"},
            ),
            _dossier(3, A, received, 4, due_at=_at(timedelta(days=1))),
            _dossier(5, A, received, 5, due_at=_at(-timedelta(days=5))),
            _dossier(4, B, received, 6, due_at=due["B4"].astimezone(timezone(HUE)).isoformat()),
            _dossier(6, B, received, 9, due_at=_at(-timedelta(days=30))),
        ],
        actor="admin",
    )
    conn.close()
    return due


def _hue(moment: datetime) -> str:
    return (moment + HUE).strftime("%d/%m/%Y %H:%M")


def test_the_overdue_list_shows_running_late_dossiers_longest_first(
    tmp_path: Path, hub: FlaskClient
) -> None:
    due = _seed(tmp_path)
    assert hub.get("/console/thong-ke/qua-han").status_code == 302  # login first
    console_login(hub, tmp_path / "hub", "operator")
    page = hub.get("/console/thong-ke/qua-han")
    assert page.status_code == 200, page.text
    text = page.text
    assert "toàn thành phố: 3 hồ sơ</h1>" in text
    codes = [f"W{A}-260301-0001", f"W{B}-260301-0004", f"W{A}-260301-0002"]
    assert [text.index(c) for c in codes] == sorted(text.index(c) for c in codes)
    for absent in ("0003", "0005", "0006"):
        assert f"-260301-{absent}" not in text
    assert _hue(due["A1"]) in text and _hue(due["B4"]) in text
    assert "UBND phường Phú Hội (19786)" in text and "Đang xử lý" in text
    assert "Trần Thị Bích" in text and "+84905123456" not in text  # the name, not the phone
    assert ">10<" in text and ">3<" in text and "dưới 1" in text and ">canbo<" in text

    one = hub.get("/console/thong-ke/qua-han", query_string={"unit": B}).text
    assert "(19789): 1 hồ sơ</h1>" in one
    assert codes[1] in one and codes[0] not in one and codes[2] not in one
    assert f'<option value="{B}" selected>' in one

    unknown = hub.get("/console/thong-ke/qua-han", query_string={"unit": "KHONG"})
    assert unknown.status_code == 422 and "Hãy chọn đơn vị trong danh sách" in unknown.text


def test_the_overdue_list_downloads_as_csv_and_excel(tmp_path: Path, hub: FlaskClient) -> None:
    due = _seed(tmp_path)
    console_login(hub, tmp_path / "hub")
    resp = hub.get("/console/thong-ke/qua-han.csv")
    assert resp.status_code == 200 and resp.data.startswith(b"\xef\xbb\xbf")
    assert "attachment" in resp.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert rows[0][0].startswith("Hồ sơ quá hạn lúc")
    assert rows[1][:3] == ["Mã hồ sơ", "Mã đơn vị", "Đơn vị"]
    assert [r[0] for r in rows[2:]] == [
        f"W{A}-260301-0001",
        f"W{B}-260301-0004",
        f"W{A}-260301-0002",
    ]
    assert rows[2][1:] == [
        A,
        "UBND phường Phú Hội",
        "1.001",
        "Nguyễn Văn An",
        "Đang xử lý",
        _hue(due["A1"]),
        "10",
        "canbo",
    ]

    resp = hub.get("/console/thong-ke/qua-han.xlsx", query_string={"unit": A})
    assert resp.status_code == 200 and f"-{A}.xlsx" in resp.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(resp.data)).active
    assert sheet is not None
    values = [list(r) for r in sheet.iter_rows(min_row=3, values_only=True)]
    assert [v[0] for v in values] == [f"W{A}-260301-0001", f"W{A}-260301-0002"]
    assert values[0][6] == (due["A1"] + HUE).replace(tzinfo=None)
    assert values[0][7] == 10 and values[1][7] == 0


def test_the_statistics_link_each_wards_overdue_figure_to_its_list(
    tmp_path: Path, hub: FlaskClient
) -> None:
    _seed(tmp_path)
    console_login(hub, tmp_path / "hub")
    text = hub.get("/console/thong-ke", query_string={"from": "01/01/2020"}).text
    assert 'href="/console/thong-ke/qua-han"' in text
    assert f'href="/console/thong-ke/qua-han?unit={A}"' in text
