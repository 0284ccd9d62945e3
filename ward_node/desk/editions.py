"""The legal templates of the one-stop forms, by edition (docs/domain.md, "Forms").

The forms the desk prints are the ones a circular of the Government Office sets, and they
change with the law: Circular 01/2018/TT-VPCP (under Decree 61/2018/NĐ-CP) set six, Circular
03/2025/TT-VPCP (under Decree 118/2025/NĐ-CP, which replaced Decree 61/2018/NĐ-CP from
01/07/2025) sets seven, adding the notice that processing of a dossier is stopped (Mẫu số 05)
and renumbering the control slip and the register. A dossier is printed with the edition in
force on the day it was received (in Huế), so a dossier received under the old decree keeps
its old forms; the register of a period with the edition in force on its last day.

Each form of an edition has its number, its title as the circular names it, and the labels its
template requires (``labels``): the printed page must carry every one, which
``tests/ward/desk/test_forms_pdf.py`` checks in the PDF Chromium makes of it. The labels
are compared without regard to case, as the templates print some in capitals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

__all__ = [
    "EDITIONS",
    "KINDS",
    "Edition",
    "FormTemplate",
    "edition_for",
    "edition_on",
]

# What each form records, and the part of its address that names it (/dossiers/<id>/in/<slug>).
KINDS = {
    "receipt": "tiep-nhan",
    "supplement": "bo-sung",
    "refusal": "tu-choi",
    "apology": "xin-loi",
    "stop": "dung-giai-quyet",
    "control": "kiem-soat",
    "register": "so-theo-doi",
}

NATIONAL = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
APPLICANT = ("Địa chỉ:", "Số điện thoại:", "Email:", "Nội dung yêu cầu giải quyết:")
RECEIPT = (
    *NATIONAL,
    "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
    "Mã hồ sơ:",
    "Tiếp nhận hồ sơ của:",
    *APPLICANT,
    "1. Thành phần hồ sơ nộp gồm:",
    "Tên giấy tờ",
    "Hình thức",
    "Số lượng",
    "2. Số lượng hồ sơ:",
    "3. Thời gian giải quyết hồ sơ theo quy định:",
    "4. Thời gian nhận hồ sơ:",
    "5. Thời gian trả kết quả giải quyết hồ sơ:",
    "6. Đăng ký nhận kết quả tại:",
    "Phí, lệ phí:",
    "Vào Sổ theo dõi hồ sơ, Quyển số:",
    "Số thứ tự:",
    "Người nộp hồ sơ",
    "Người tiếp nhận hồ sơ",
    "(Ký và ghi rõ họ tên)",
)
SUPPLEMENT = (
    *NATIONAL,
    "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
    "Mã hồ sơ:",
    "Hồ sơ của:",
    *APPLICANT,
    "Yêu cầu bổ sung, hoàn thiện hồ sơ gồm những nội dung sau:",
    "nếu có vướng mắc, Ông/Bà liên hệ",
    "số điện thoại",
    "để được hướng dẫn",
    "Người hướng dẫn",
    "(Ký và ghi rõ họ tên)",
)
REFUSAL = (
    *NATIONAL,
    "Phiếu từ chối tiếp nhận giải quyết hồ sơ",
    "Mã hồ sơ:",
    "Tiếp nhận hồ sơ của:",
    *APPLICANT,
    "Căn cứ quy định tại",
    "từ chối tiếp nhận, giải quyết hồ sơ này với lý do cụ thể như sau:",
    "Xin thông báo cho Ông/Bà được biết và thực hiện",
    "Người tiếp nhận hồ sơ",
    "(Ký và ghi rõ họ tên)",
)
SIGNED_BY_THE_COMMITTEE = (
    "Số:",
    "Kính gửi:",
    "TM. Ủy ban nhân dân",
    "(Ký, ghi rõ họ tên và đóng dấu)",
    "Nơi nhận:",
)
APOLOGY_2018 = (
    *NATIONAL,
    *SIGNED_BY_THE_COMMITTEE,
    "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
    "Nội dung yêu cầu giải quyết:",
    "Thời gian hẹn trả kết quả giải quyết hồ sơ:",
    "Lý do:",
    "xin lỗi Ông/Bà và sẽ trả kết quả giải quyết hồ sơ cho Ông/Bà vào",
    "Rất mong nhận được sự thông cảm của Ông/Bà",
)
APOLOGY_2025 = (
    *NATIONAL,
    *SIGNED_BY_THE_COMMITTEE,
    "V/v xin lỗi và đề nghị gia hạn thời gian giải quyết hồ sơ",
    "Nội dung yêu cầu giải quyết:",
    "Thời gian hẹn trả kết quả giải quyết hồ sơ:",
    "Lý do:",
    "xin lỗi Ông/Bà và đề nghị gia hạn thời gian giải quyết hồ sơ đến",
    "Rất mong nhận được sự thông cảm của Ông/Bà",
)
STOP = (
    *NATIONAL,
    *SIGNED_BY_THE_COMMITTEE,
    "Thông báo",
    "Về việc dừng giải quyết hồ sơ",
    "Mã hồ sơ",
    "Nội dung yêu cầu giải quyết:",
    "Căn cứ quy định tại",
    "dừng giải quyết hồ sơ của Ông/Bà kể từ",
    "Lý do:",
)
CONTROL = (
    *NATIONAL,
    "Phiếu kiểm soát quá trình giải quyết hồ sơ",
    "Mã hồ sơ:",
    "Kèm theo hồ sơ của:",
    "Nội dung yêu cầu giải quyết:",
    "Cơ quan (bộ phận) giải quyết hồ sơ:",
    "Cơ quan phối hợp giải quyết hồ sơ:",
    "Ngày nhận:",
    "Ngày hẹn trả:",
    "Bên giao",
    "Bên nhận",
    "Thời gian giao, nhận hồ sơ",
    "Kết quả giải quyết hồ sơ (trước hạn, đúng hạn, quá hạn)",
    "Ghi chú",
    "Người giao",
    "Người nhận",
)
REGISTER = (
    *NATIONAL,
    "Sổ theo dõi hồ sơ",
    "Mã hồ sơ",
    "Tên thủ tục hành chính",
    "Số lượng hồ sơ (bộ)",
    "Tên cá nhân, tổ chức",
    "Địa chỉ, số điện thoại",
    "Cơ quan chủ trì giải quyết",
    "Nhận hồ sơ",
    "Hẹn trả kết quả",
    "Trả kết quả",
    "Ký nhận",
    "Ghi chú",
)


@dataclass(frozen=True)
class FormTemplate:
    """One form of an edition: what it records (a key of :data:`KINDS`), its number and title
    as the circular gives them, and the labels its template requires."""

    kind: str
    number: str
    title: str
    labels: tuple[str, ...]

    @property
    def slug(self) -> str:
        """The part of the form's address that names it."""
        return KINDS[self.kind]


@dataclass(frozen=True)
class Edition:
    """A set of forms in force for the dossiers received from ``since`` (the first edition
    for every dossier before the next one)."""

    key: str
    circular: str
    decree: str
    since: date
    forms: tuple[FormTemplate, ...]

    def form(self, kind: str) -> FormTemplate | None:
        """The form of this edition that records ``kind``; ``None`` when it has none."""
        return next((f for f in self.forms if f.kind == kind), None)

    def find(self, name: str) -> FormTemplate | None:
        """The form named ``name`` in an address: its slug, or its number in this edition."""
        return next((f for f in self.forms if name in (f.slug, f.number)), None)


EDITIONS = (
    Edition(
        "2018",
        "Thông tư số 01/2018/TT-VPCP",
        "Nghị định số 61/2018/NĐ-CP",
        date(2018, 4, 23),
        (
            FormTemplate("receipt", "01", "Giấy tiếp nhận hồ sơ và hẹn trả kết quả", RECEIPT),
            FormTemplate("supplement", "02", "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ", SUPPLEMENT),
            FormTemplate("refusal", "03", "Phiếu từ chối tiếp nhận giải quyết hồ sơ", REFUSAL),
            FormTemplate(
                "apology", "04", "Phiếu xin lỗi và hẹn lại ngày trả kết quả", APOLOGY_2018
            ),
            FormTemplate("control", "05", "Phiếu kiểm soát quá trình giải quyết hồ sơ", CONTROL),
            FormTemplate("register", "06", "Sổ theo dõi hồ sơ", REGISTER),
        ),
    ),
    # Decree 118/2025/NĐ-CP took effect on 01/07/2025; its forms are those of Circular
    # 03/2025/TT-VPCP (signed 15/09/2025). Dossiers received from 01/07/2025 are printed with them.
    Edition(
        "2025",
        "Thông tư số 03/2025/TT-VPCP",
        "Nghị định số 118/2025/NĐ-CP",
        date(2025, 7, 1),
        (
            FormTemplate("receipt", "01", "Giấy tiếp nhận hồ sơ và hẹn trả kết quả", RECEIPT),
            FormTemplate("supplement", "02", "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ", SUPPLEMENT),
            FormTemplate("refusal", "03", "Phiếu từ chối tiếp nhận giải quyết hồ sơ", REFUSAL),
            FormTemplate(
                "apology",
                "04",
                "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết",
                APOLOGY_2025,
            ),
            FormTemplate("stop", "05", "Thông báo dừng giải quyết hồ sơ", STOP),
            FormTemplate("control", "06", "Phiếu kiểm soát quá trình giải quyết hồ sơ", CONTROL),
            FormTemplate("register", "07", "Sổ theo dõi hồ sơ", REGISTER),
        ),
    ),
)


def edition_on(day: date) -> Edition:
    """The edition in force on ``day``: the latest that started on or before it (the first
    for an earlier day)."""
    found = [e for e in EDITIONS if e.since <= day]
    return found[-1] if found else EDITIONS[0]


def edition_for(received_day: date | None) -> Edition:
    """The edition a dossier received on ``received_day`` (in Huế) is printed with; the
    current one when the day is unknown."""
    return edition_on(received_day) if received_day else EDITIONS[-1]
