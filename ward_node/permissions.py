"""Who may do what at the ward: one table for every record kind with a desk workflow
(dossiers, official documents, directives, meetings), asked by the domain operations, which
raise :class:`Forbidden` (403), and by the pages and templates, which offer only what the
user may do (docs/security.md, "Roles at the desk").

A rule names the roles that may act on any record of the kind (``anyone``) and the roles that
may act only on a record they hold (``holder``): a dossier's current handler (its control
slip), an incoming document's lead handler, an outgoing draft's drafter, a report's author.
Leaders and administrators act on any record, deliberately: they answer for the ward's work
and stand in for an absent holder. Whether the record's *status* allows the action is the
domain's business (409); this is only who.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from webapp import User

from .errors import Forbidden

OFFICER, SPECIALIST, CLERK, LEADER, ADMIN = "officer", "specialist", "clerk", "leader", "admin"
EVERYONE = (OFFICER, SPECIALIST, CLERK, LEADER, ADMIN)
SUPERVISORS = (LEADER, ADMIN)
DESK = (OFFICER, LEADER, ADMIN)  # the one-stop desk (bộ phận một cửa)
PROCESSING = (OFFICER, SPECIALIST, LEADER, ADMIN)  # who processes dossiers
REGISTRY = (CLERK, ADMIN)  # văn thư: registers, numbers and releases documents
# Everyone at the ward but the văn thư, whose work is the registers, not the tasks.
TASK_HANDLERS = (OFFICER, SPECIALIST, LEADER, ADMIN)
# Who keeps the meeting register and answers invitations: the văn thư, leaders, admins.
MEETING_WRITERS = (CLERK, LEADER, ADMIN)

ROLE_NAMES = {
    OFFICER: "cán bộ một cửa",
    SPECIALIST: "chuyên viên",
    CLERK: "văn thư",
    LEADER: "lãnh đạo phường",
    ADMIN: "quản trị hệ thống",
}

Record = dict[str, Any]


def dossier_handler(dossier: Record) -> set[str]:
    """The dossier's holder: the handler of its current step (set at reception, start,
    hand-over and, for the return, at completion)."""
    return {dossier["handler"]} if dossier.get("handler") else set()


def lead_handler(doc: Record) -> set[str]:
    """The lead handler the leader assigned to an incoming document."""
    receipt = doc.get("receipt") or {}
    return {receipt["lead_handler"]} if receipt.get("lead_handler") else set()


def document_people(doc: Record) -> set[str]:
    """Who holds a document: the drafter of the ward's own, the lead and coordinating
    handlers of one received."""
    people = set(lead_handler(doc))
    people.update((doc.get("receipt") or {}).get("coordinators") or ())
    if doc.get("view") == "outgoing" and doc.get("created_by"):
        people.add(doc["created_by"])
    return people


def drafter(doc: Record) -> set[str]:
    """Who drafted the ward's outgoing document."""
    return {doc["created_by"]} if doc.get("created_by") else set()


def author(record: Record) -> set[str]:
    """Who wrote a record (a progress report)."""
    return {record["created_by"]} if record.get("created_by") else set()


@dataclass(frozen=True)
class Rule:
    """Who may do one action: ``anyone`` on every record, ``holder`` only on those they hold."""

    label: str
    anyone: tuple[str, ...]
    holder: tuple[str, ...] = ()
    holders: Callable[[Record], set[str]] | None = None
    subject: str = "hồ sơ này"


def _dossier(label: str, anyone: tuple[str, ...], holder: tuple[str, ...] = ()) -> Rule:
    return Rule(label, anyone, holder, dossier_handler if holder else None, "hồ sơ này")


def _document(
    label: str,
    anyone: tuple[str, ...],
    holder: tuple[str, ...] = (),
    holders: Callable[[Record], set[str]] | None = None,
) -> Rule:
    return Rule(label, anyone, holder, holders, "văn bản này")


RULES: dict[str, Rule] = {
    # -- one-stop dossiers: the status machine is in dossiers/rules.py ACTIONS -------------
    "dossier.receive": _dossier("tiếp nhận hồ sơ", DESK),
    "dossier.refuse": _dossier("từ chối tiếp nhận hồ sơ", DESK),
    # A received dossier waits for someone to take it into processing; who starts it holds it.
    "dossier.start": _dossier("bắt đầu xử lý hồ sơ", PROCESSING),
    "dossier.hand_over": _dossier("chuyển bước xử lý", SUPERVISORS, PROCESSING),
    "dossier.request_supplement": _dossier("yêu cầu bổ sung giấy tờ", SUPERVISORS, PROCESSING),
    "dossier.request_payment": _dossier(
        "yêu cầu nộp phí, nghĩa vụ tài chính", SUPERVISORS, PROCESSING
    ),
    "dossier.complete": _dossier("ghi hồ sơ đã xử lý xong", SUPERVISORS, PROCESSING),
    # What the citizen brings or asks at the counter: any officer on duty at the desk.
    "dossier.supplement_received": _dossier("ghi đã nhận giấy tờ bổ sung", DESK),
    "dossier.payment_received": _dossier("ghi đã nộp nghĩa vụ tài chính", DESK),
    "dossier.withdraw": _dossier("ghi công dân rút hồ sơ", DESK),
    # The papers handed in, ticked at reception and corrected while the dossier is at the
    # desk or waiting for a supplement (docs/domain.md, "Reception checklist").
    "dossier.papers": _dossier("ghi giấy tờ đã nhận", DESK),
    "dossier.stop": _dossier("dừng xử lý hồ sơ", SUPERVISORS),
    "dossier.extend": _dossier("gia hạn hồ sơ", SUPERVISORS),
    # The result came back to the desk officer who received the dossier (Dossiers.act).
    "dossier.return": _dossier("trả kết quả", SUPERVISORS, DESK),
    "dossier.edit": _dossier("sửa thông tin hồ sơ", DESK, PROCESSING),
    "dossier.attach": _dossier("đính kèm tệp vào hồ sơ", DESK, PROCESSING),
    # -- official documents: the state machines are in documents/service.py ------------
    "document.draft": _document("soạn văn bản đi", EVERYONE),
    "document.register_paper": _document("vào sổ văn bản đến bằng giấy", REGISTRY),
    "document.edit_draft": _document(
        "sửa dự thảo văn bản", (CLERK, LEADER, ADMIN), EVERYONE, drafter
    ),
    "document.edit_receipt": _document(
        "sửa ghi chú tiếp nhận văn bản", (CLERK, LEADER, ADMIN), EVERYONE, document_people
    ),
    "document.attach_outgoing": _document(
        "đính kèm tệp vào văn bản đi", (CLERK, LEADER, ADMIN), EVERYONE, drafter
    ),
    "document.attach_incoming": _document("đính kèm bản quét văn bản đến", REGISTRY),
    "document.approve": _document("duyệt dự thảo", SUPERVISORS),
    "document.sign": _document("ký ban hành", SUPERVISORS),
    "document.number": _document("cấp số, ngày văn bản", REGISTRY),
    "document.release": _document("phát hành văn bản", REGISTRY),
    "document.recall": _document("thu hồi văn bản", SUPERVISORS),
    "document.receive": _document("xác nhận văn bản đã đến", REGISTRY),
    "document.register": _document("vào sổ văn bản đến", REGISTRY),
    "document.refuse": _document("từ chối nhận văn bản", (CLERK, LEADER, ADMIN)),
    "document.present": _document("trình văn bản đến cho lãnh đạo", REGISTRY),
    "document.assign": _document("phân công xử lý văn bản", SUPERVISORS),
    # The lead handler the leader chose, whatever their role; nobody else but a supervisor.
    "document.handle": _document("báo cáo đã xử lý văn bản", SUPERVISORS, EVERYONE, lead_handler),
    "document.done": _document("ghi văn bản đã hoàn thành", SUPERVISORS, EVERYONE, lead_handler),
    "document.accept_recall": _document("đồng ý thu hồi văn bản", SUPERVISORS),
    "document.refuse_recall": _document("từ chối thu hồi văn bản", SUPERVISORS),
    # docs/security.md, "Secret documents": the register entry of a secret document.
    "document.read_secret": _document(
        "xem văn bản mật", (CLERK, LEADER, ADMIN), EVERYONE, document_people
    ),
    # -- directives --------------------------------------------------------------------------
    "directive.issue": Rule("giao nhiệm vụ (ý kiến chỉ đạo)", SUPERVISORS),
    "directive.confirm": Rule("xác nhận hoàn thành nhiệm vụ", SUPERVISORS),
    "directive.send_back": Rule("trả lại báo cáo hoàn thành", SUPERVISORS),
    "directive.extend": Rule("gia hạn nhiệm vụ", SUPERVISORS),
    "directive.report": Rule("báo cáo tiến độ nhiệm vụ", TASK_HANDLERS),
    "directive.attach": Rule(
        "đính kèm tệp vào báo cáo tiến độ", SUPERVISORS, TASK_HANDLERS, author, "báo cáo này"
    ),
    # -- meetings and invitations ------------------------------------------------------------
    "meeting.register": Rule("đăng ký lịch họp", MEETING_WRITERS),
    "invitation.send": Rule("gửi giấy mời", MEETING_WRITERS),
    "invitation.reply": Rule("trả lời giấy mời", MEETING_WRITERS),
    # -- conflicts: deciding which of two concurrent edits stands (docs/conflicts.md) ---------
    "conflict.resolve": Rule("giải quyết xung đột dữ liệu", SUPERVISORS, subject="xung đột này"),
}


def _names(roles: tuple[str, ...]) -> str:
    names = [ROLE_NAMES[r] for r in roles]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " hoặc " + names[-1]


def refusal(user: User | None, action: str, record: Record | None = None) -> str | None:
    """Why ``user`` may not do ``action`` (on ``record``), as a sentence; ``None`` if allowed.

    ``record`` is needed for the rules with holders; without it only roles are judged.
    """
    rule = RULES[action]
    if user is None:
        return "Cần đăng nhập để làm việc này."
    if user.role in rule.anyone:
        return None
    if user.role in rule.holder:
        if record is None or rule.holders is None:
            return None
        held_by = rule.holders(record)
        if user.username in held_by:
            return None
        who = ", ".join(sorted(held_by)) or "chưa ai"
        return (
            f"Bạn không được {rule.label}: {rule.subject} do {who} phụ trách. Chỉ người phụ "
            f"trách, {_names(SUPERVISORS)} được làm việc này; nếu cần, hãy đề nghị người "
            "phụ trách chuyển lại hoặc lãnh đạo phường giao lại."
        )
    allowed = tuple(dict.fromkeys(rule.anyone + rule.holder))
    return (
        f"Tài khoản {ROLE_NAMES.get(user.role, user.role)} không được {rule.label}. "
        f"Việc này do {_names(allowed)} làm."
    )


def may(user: User | None, action: str, record: Record | None = None) -> bool:
    """Whether ``user`` may do ``action`` (on ``record``): what pages and templates ask."""
    return refusal(user, action, record) is None


def check(user: User | None, action: str, record: Record | None = None) -> None:
    """Raise :class:`Forbidden` (403) when ``user`` may not do ``action`` (on ``record``)."""
    reason = refusal(user, action, record)
    if reason is not None:
        raise Forbidden(reason, action=action)


def may_read_document(user: User | None, doc: Record) -> bool:
    """Whether ``user`` may see this document at all: anyone a document of the ward's, only
    the registry, the leaders and its own people a secret one (docs/security.md, "Secret
    documents")."""
    if (doc.get("secrecy") or "none") == "none":
        return True
    return may(user, "document.read_secret", doc)
