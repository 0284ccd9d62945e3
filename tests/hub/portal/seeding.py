"""Records written straight into a hub's store through its write path, for the portal's
disclosure tests: dossiers in any status with their steps, directives, a procedure's forms."""

from __future__ import annotations

from typing import Any

from central_hub.store import capture
from sync import Write, new_id

WARD = "19786"
OTHER_WARD = "19777"


def dossier(
    unit: str,
    number: int,
    status: int,
    received_at: str,
    *,
    name: str = "Nguyễn Văn An",
    due_at: str | None = None,
    original_due_at: str | None = None,
    completed_at: str | None = None,
    returned_at: str | None = None,
    channel: str = "in_person",
    steps: tuple[tuple[str, int, str, str | None], ...] = (),
    day: str = "261201",
) -> list[Write]:
    """A dossier of ``unit`` and its ``steps`` (action, to_status, at, note) as writes."""
    dossier_id = new_id()
    prefix = f"H57.{unit}"
    fields: dict[str, Any] = {
        "id": dossier_id,
        "unit": unit,
        "code": f"{prefix}-{day}-{number:04d}",
        "procedure_code": "1.001193",
        "procedure_name": "Đăng ký khai sinh",
        "applicant": {
            "full_name": name,
            "id_number": "046090123456",
            "birth_year": 1990,
            "phone": "+84905123456",
            "address": "12 Lê Lợi",
            "email": None,
        },
        "channel": channel,
        "status": status,
        "received_at": received_at,
        "due_at": due_at,
        "original_due_at": original_due_at,
        "completed_at": completed_at,
        "returned_at": returned_at,
        "fee": 0,
        "created_by": "canbo",
    }
    writes = [Write("dossier", dossier_id, unit, fields)]
    for action, to_status, at, note in steps:
        step_id = new_id()
        writes.append(
            Write(
                "dossier_step",
                step_id,
                unit,
                {
                    "id": step_id,
                    "unit": unit,
                    "dossier_id": dossier_id,
                    "action": action,
                    "from_status": None,
                    "to_status": to_status,
                    "actor": "canbo",
                    "actor_name": "Trần Thị Bình",
                    "at": at,
                    "note": note,
                    "to_handler": None,
                    "step_deadline": None,
                },
            )
        )
    return writes


def directive(
    lead_unit: str, title: str, deadline: str | None, status: str = "assigned", **more: Any
) -> Write:
    """A directive of the city (unit H57) led by ``lead_unit``."""
    directive_id = new_id()
    fields = {
        "id": directive_id,
        "unit": "H57",
        "source_kind": "other",
        "title": title,
        "content": title,
        "issued_by": "Chủ tịch UBND thành phố",
        "issued_on": "2026-11-02",
        "lead_unit": lead_unit,
        "units": [lead_unit],
        "deadline": deadline,
        "priority": "normal",
        "status": status,
        "created_by": "admin",
        **more,
    }
    return Write("directive", directive_id, "H57", fields)


def write(conn: Any, writes: list[Write]) -> None:
    """Write ``writes`` through the hub's write path, as its administrator."""
    capture(conn).write_many(writes, actor="admin")
