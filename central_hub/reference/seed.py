"""The hub's seed reference data: units, the procedure catalogue and the calendar of days off.

Each ``seed_*`` function returns fresh records (dicts) that validate against
``schemas/<type>.json``. The content is fixed; only the ``id`` of each record (a new UUIDv7) differs
between calls, so seeding twice gives the same data under new identities. The hub's administrators
edit the seeded records afterwards; the data itself is in :mod:`central_hub.reference.data`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import holidays

from sync import new_id

from .data import (
    CITY,
    DEPARTMENTS,
    MAKEUP_WORKDAYS,
    PROCEDURE_VALID_FROM,
    PROCEDURES,
    PROVINCE,
    SAME_DAY_CUTOFF,
    SERVICE_UNITS,
    WARDS,
    WARDS_VALID_FROM,
)

__all__ = ["WARDS", "seed_calendar", "seed_procedures", "seed_units"]

DEFAULT_HUB_UNIT = CITY[0]
DEFAULT_YEARS = (2025, 2026, 2027)


def _record(hub_unit: str, **fields: Any) -> dict[str, Any]:
    return {"id": new_id(), "unit": hub_unit, **fields}


def _unit(
    hub_unit: str, code: str, name: str, kind: str, prefix: str, valid_from: str | None = None
) -> dict[str, Any]:
    return _record(
        hub_unit,
        code=code,
        name=name,
        kind=kind,
        prefix=prefix,
        valid_from=valid_from,
        valid_to=None,
        successor=None,
        province=PROVINCE,
    )


def seed_units(hub_unit: str = DEFAULT_HUB_UNIT) -> list[dict[str, Any]]:
    """The city office, its 27 wards, 11 departments and 4 public-service units (43 records).

    A ward's ``code`` is its GSO code and its ``prefix`` (the identifier that starts its dossier
    codes) is ``H57.<GSO code>``; a department's or service unit's code is its prefix.
    """
    city_code, city_name = CITY
    units = [_unit(hub_unit, city_code, city_name, "city", city_code)]
    units += [
        _unit(
            hub_unit,
            code,
            f"UBND phường {name}",
            "ward",
            f"{city_code}.{code}",
            WARDS_VALID_FROM,
        )
        for code, name in WARDS
    ]
    units += [_unit(hub_unit, code, name, "department", code) for code, name in DEPARTMENTS]
    units += [_unit(hub_unit, code, name, "service", code) for code, name in SERVICE_UNITS]
    return units


def seed_procedures(hub_unit: str = DEFAULT_HUB_UNIT) -> list[dict[str, Any]]:
    """The ward-level procedure catalogue: national code, time limit, cutoff, supplement rule,
    fee (and how it grows with the papers), papers and legal basis.

    A same-day procedure (0 working days) has a cutoff of 15:00 and recomputes its deadline after a
    supplement; any other procedure has no cutoff and extends its deadline by the waiting time.
    """
    procedures = []
    for seed in PROCEDURES:
        limit_value, limit_unit = seed["limit"]
        same_day = limit_value == 0 and limit_unit == "working_days"
        procedures.append(
            _record(
                hub_unit,
                code=seed["code"],
                name=seed["name"],
                field=seed["field"],
                limit_value=limit_value,
                limit_unit=limit_unit,
                same_day_cutoff=SAME_DAY_CUTOFF if same_day else None,
                supplement_rule="recompute" if same_day else "extend",
                fee=seed["fee"],
                fee_rule=seed.get("fee_rule"),
                papers=[{"name": name, "kind": kind, "sets": 1} for name, kind in seed["papers"]],
                active=True,
                valid_from=PROCEDURE_VALID_FROM,
                legal_basis=seed.get("legal_basis"),
                former_codes=seed.get("former_codes"),
            )
        )
    return procedures


def seed_calendar(
    years: Iterable[int] = DEFAULT_YEARS, hub_unit: str = DEFAULT_HUB_UNIT
) -> list[dict[str, Any]]:
    """Days off and make-up working days of ``years``, sorted by date.

    Days off come from ``holidays.country_holidays("VN")`` with their Vietnamese names (Tết, the
    national holidays and the bridge days the package knows). The package lists no make-up working
    Saturdays, so those come from ``MAKEUP_WORKDAYS``, which also adds the exchanged day off when
    the package lacks it. Only dates within ``years`` are returned.
    """
    wanted = sorted(set(years))
    days: dict[str, tuple[str, str]] = {
        day.isoformat(): ("holiday", name)
        for day, name in holidays.country_holidays("VN", years=wanted, language="vi").items()
    }
    for workday, day_off in MAKEUP_WORKDAYS:
        if date.fromisoformat(day_off).year in wanted:
            days.setdefault(day_off, ("holiday", f"Ngày nghỉ (thay cho ngày {_dmy(workday)})"))
        if date.fromisoformat(workday).year in wanted:
            days[workday] = ("workday", f"Ngày làm bù (thay cho ngày {_dmy(day_off)})")
    return [
        _record(hub_unit, date=day, kind=kind, name=name)
        for day, (kind, name) in sorted(days.items())
    ]


def _dmy(iso_day: str) -> str:
    return date.fromisoformat(iso_day).strftime("%d/%m/%Y")
