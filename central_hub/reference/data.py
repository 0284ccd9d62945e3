"""The hub's seed reference data as plain constants: units, procedures, calendar exceptions.

Only data lives here; :mod:`central_hub.reference.seed` turns it into records. Everything here is
editable by the hub's administrators once seeded, so a change in law or in a year's calendar is
an edit of the stored records, not of this file.
"""

from typing import Any, TypedDict

# (code, name) of the city office that owns the hub; its code is Huế's letter code in electronic
# unit identifiers.
CITY = ("H57", "Văn phòng HĐND và UBND thành phố Huế")

# The province every unit of the seed belongs to: Huế has been a centrally-run city, a
# province-level unit, since 1 January 2025. No district: since 1 July 2025 local government
# has two levels, province and commune (schemas/unit.json).
PROVINCE = "Thành phố Huế"

# The 27 wards (GSO codes, district 474, province 46) as of 01/07/2021, when the last merger before
# 2025 took effect: (GSO code, short name).
WARDS: list[tuple[str, str]] = [
    ("19744", "Phú Thuận"),
    ("19747", "Phú Bình"),
    ("19750", "Tây Lộc"),
    ("19753", "Thuận Lộc"),
    ("19756", "Phú Hiệp"),
    ("19759", "Phú Hậu"),
    ("19762", "Thuận Hòa"),
    ("19765", "Thuận Thành"),
    ("19768", "Phú Hòa"),
    ("19771", "Phú Cát"),
    ("19774", "Kim Long"),
    ("19777", "Vĩ Dạ"),
    ("19780", "Phường Đúc"),
    ("19783", "Vĩnh Ninh"),
    ("19786", "Phú Hội"),
    ("19789", "Phú Nhuận"),
    ("19792", "Xuân Phú"),
    ("19795", "Trường An"),
    ("19798", "Phước Vĩnh"),
    ("19801", "An Cựu"),
    ("19803", "An Hòa"),
    ("19804", "Hương Sơ"),
    ("19807", "Thủy Biều"),
    ("19810", "Hương Long"),
    ("19813", "Thủy Xuân"),
    ("19815", "An Đông"),
    ("19816", "An Tây"),
]
WARDS_VALID_FROM = "2021-07-01"

# (code, name) of the city's specialised departments (cơ quan chuyên môn).
DEPARTMENTS: list[tuple[str, str]] = [
    ("H57.01", "Phòng Nội vụ"),
    ("H57.02", "Phòng Tư pháp"),
    ("H57.03", "Phòng Tài chính - Kế hoạch"),
    ("H57.04", "Phòng Quản lý đô thị"),
    ("H57.05", "Phòng Tài nguyên và Môi trường"),
    ("H57.06", "Phòng Văn hóa và Thông tin"),
    ("H57.07", "Phòng Y tế"),
    ("H57.08", "Phòng Giáo dục và Đào tạo"),
    ("H57.09", "Phòng Lao động - Thương binh và Xã hội"),
    ("H57.10", "Phòng Kinh tế"),
    ("H57.11", "Thanh tra thành phố"),
]

# (code, name) of the city's public-service units (đơn vị sự nghiệp).
SERVICE_UNITS: list[tuple[str, str]] = [
    ("H57.21", "Trung tâm Phát triển quỹ đất"),
    ("H57.22", "Ban Quản lý dự án đầu tư xây dựng"),
    ("H57.23", "Trung tâm Văn hóa - Thể thao"),
    ("H57.24", "Đội Kiểm tra trật tự đô thị"),
]

# Ward-level procedures (thủ tục hành chính cấp xã) that the ward's one-stop desk receives, each
# under its code in the national catalogue of administrative procedures (Cổng Dịch vụ công quốc
# gia). Residence registration (thường trú, tạm trú, tạm vắng, residence confirmation) is the
# commune police's, not the ward's desk (Luật Cư trú 2020): it is not in the catalogue
# (WITHDRAWN_PROCEDURES). Fees: fixed nationally for copies of civil-status extracts (Thông tư
# 281/2016/TT-BTC) and attestation (Thông tư 226/2016/TT-BTC: copies by the page, signatures by
# the case, contracts by the contract); the other civil-status fees are set by the provincial
# People's Council, and the figures here are placeholders for the administrator to check, as
# are the legal bases (printed on forms 03 and 05). limit_value 0 with "working_days" means "the
# same working day", unless received after the cutoff. A same-day procedure recomputes its
# deadline from the completed dossier; a longer one extends it by the time spent waiting for the
# supplement (status 5 stops the clock).
PROCEDURE_VALID_FROM = "2025-07-01"
SAME_DAY_CUTOFF = "15:00"

CIVIL_STATUS_LAW = (
    "Luật Hộ tịch năm 2014; Nghị định số 123/2015/NĐ-CP ngày 15/11/2015 của Chính phủ; "
    "Thông tư số 04/2020/TT-BTP ngày 28/5/2020 của Bộ Tư pháp"
)
ATTESTATION_LAW = (
    "Nghị định số 23/2015/NĐ-CP ngày 16/02/2015 của Chính phủ về cấp bản sao từ sổ gốc, chứng "
    "thực bản sao từ bản chính, chứng thực chữ ký và chứng thực hợp đồng, giao dịch; Thông tư "
    "số 01/2020/TT-BTP ngày 03/3/2020 của Bộ Tư pháp; Thông tư số 226/2016/TT-BTC ngày "
    "11/11/2016 của Bộ Tài chính"
)
# Attested copies: 2.000 đ a page for the first two pages of the original, 1.000 đ a page from
# the third, at most 200.000 đ a copy (Thông tư 226/2016/TT-BTC, article 4), for each copy
# handed in to be attested (office/papers.py).
ATTESTED_COPY_FEE = {
    "basis": "page",
    "forms": ["copy"],
    "first_pages": 2,
    "next_rate": 1000,
    "cap": 200000,
}


class ProcedureSeed(TypedDict, total=False):
    """One procedure: papers are (name, kind), one set each; fee in VND; ``fee_rule`` as in
    schemas/procedure.json; ``former_codes`` the local codes it had in earlier releases."""

    code: str
    name: str
    field: str
    limit: tuple[int, str]  # (limit_value, limit_unit)
    fee: int
    fee_rule: dict[str, Any] | None
    papers: list[tuple[str, str]]
    legal_basis: str
    former_codes: list[str]


PROCEDURES: list[ProcedureSeed] = [
    {
        "code": "1.001193",
        "name": "Đăng ký khai sinh",
        "field": "Hộ tịch",
        "limit": (0, "working_days"),
        "fee": 0,  # exempt when registered on time (Luật Hộ tịch 2014, art. 11)
        "papers": [
            ("Tờ khai đăng ký khai sinh (theo mẫu)", "original"),
            ("Giấy chứng sinh hoặc giấy tờ thay Giấy chứng sinh", "original"),
            ("Văn bản ủy quyền có chứng thực (nếu nộp thay)", "original"),
        ],
        "legal_basis": CIVIL_STATUS_LAW,
    },
    {
        "code": "1.000894",
        "name": "Đăng ký kết hôn",
        "field": "Hộ tịch",
        # Same day; a case needing verification takes up to 5 working days and is then handled
        # by editing the dossier's due date.
        "limit": (0, "working_days"),
        "fee": 0,  # exempt between citizens residing in Vietnam (Luật Hộ tịch 2014, art. 11)
        "papers": [
            ("Tờ khai đăng ký kết hôn (theo mẫu)", "original"),
            (
                "Giấy xác nhận tình trạng hôn nhân (nếu không thường trú tại phường)",
                "original",
            ),
        ],
        "legal_basis": CIVIL_STATUS_LAW,
    },
    {
        "code": "1.000656",
        "name": "Đăng ký khai tử",
        "field": "Hộ tịch",
        "limit": (0, "working_days"),
        "fee": 0,  # exempt when registered on time
        "papers": [
            ("Tờ khai đăng ký khai tử (theo mẫu)", "original"),
            ("Giấy báo tử hoặc giấy tờ thay Giấy báo tử", "original"),
        ],
        "legal_basis": CIVIL_STATUS_LAW,
    },
    {
        "code": "1.004873",
        "name": "Cấp Giấy xác nhận tình trạng hôn nhân",
        "field": "Hộ tịch",
        "limit": (3, "working_days"),
        "fee": 3000,
        "papers": [
            ("Tờ khai cấp Giấy xác nhận tình trạng hôn nhân (theo mẫu)", "original"),
            ("Giấy tờ chứng minh đã ly hôn hoặc người kia đã chết (nếu có)", "copy"),
        ],
        "legal_basis": CIVIL_STATUS_LAW,
    },
    {
        "code": "1.004884",
        "name": "Đăng ký lại khai sinh",
        "field": "Hộ tịch",
        "limit": (5, "working_days"),
        "fee": 5000,
        "papers": [
            ("Tờ khai đăng ký lại khai sinh (theo mẫu)", "original"),
            (
                "Văn bản cam đoan đã đăng ký khai sinh nhưng không lưu giữ được bản chính",
                "original",
            ),
            ("Giấy tờ, tài liệu có thông tin về nội dung khai sinh", "copy"),
        ],
        "legal_basis": CIVIL_STATUS_LAW,
    },
    {
        "code": "1.004859",
        "name": "Thay đổi, cải chính, bổ sung thông tin hộ tịch",
        "field": "Hộ tịch",
        "limit": (3, "working_days"),
        "fee": 15000,
        "papers": [
            ("Tờ khai đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch", "original"),
            ("Giấy tờ hộ tịch cần thay đổi, cải chính, bổ sung", "original"),
            ("Giấy tờ làm căn cứ thay đổi, cải chính, bổ sung", "certified_copy"),
        ],
        "legal_basis": CIVIL_STATUS_LAW,
    },
    {
        "code": "2.000635",
        "former_codes": ["HUE-XA-001"],
        "name": "Cấp bản sao trích lục hộ tịch",
        "field": "Hộ tịch",
        "limit": (0, "working_days"),
        # Per copy of the extract issued (Thông tư 281/2016/TT-BTC): the copies asked for are
        # not papers handed in, so the checklist does not count them (docs/domain.md).
        "fee": 8000,
        "papers": [("Tờ khai cấp bản sao trích lục hộ tịch (theo mẫu)", "original")],
        "legal_basis": CIVIL_STATUS_LAW,
    },
    {
        "code": "1.001022",
        "former_codes": ["HUE-XA-002"],
        "name": "Đăng ký nhận cha, mẹ, con",
        "field": "Hộ tịch",
        "limit": (3, "working_days"),
        "fee": 15000,
        "papers": [
            ("Tờ khai đăng ký nhận cha, mẹ, con (theo mẫu)", "original"),
            ("Văn bản chứng minh quan hệ cha, mẹ, con", "original_or_copy"),
        ],
        "legal_basis": CIVIL_STATUS_LAW,
    },
    {
        "code": "2.000815",
        "former_codes": ["HUE-XA-003"],
        "name": "Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan Việt Nam cấp",
        "field": "Chứng thực",
        "limit": (0, "working_days"),
        "fee": 2000,  # per page of each copy, see ATTESTED_COPY_FEE
        "fee_rule": ATTESTED_COPY_FEE,
        "papers": [
            ("Bản chính giấy tờ, văn bản làm cơ sở chứng thực", "original"),
            ("Bản sao cần chứng thực", "copy"),
        ],
        "legal_basis": ATTESTATION_LAW,
    },
    {
        "code": "2.000884",
        "former_codes": ["HUE-XA-004"],
        "name": "Chứng thực chữ ký trong các giấy tờ, văn bản",
        "field": "Chứng thực",
        "limit": (0, "working_days"),
        "fee": 10000,  # per case
        "papers": [
            ("Giấy tờ, văn bản cần chứng thực chữ ký", "original"),
            ("Giấy tờ tùy thân của người yêu cầu chứng thực", "original_or_copy"),
        ],
        "legal_basis": ATTESTATION_LAW,
    },
    {
        "code": "2.001035",
        "former_codes": ["HUE-XA-005"],
        "name": "Chứng thực hợp đồng, giao dịch liên quan đến tài sản là động sản, "
        "quyền sử dụng đất, nhà ở",
        "field": "Chứng thực",
        "limit": (2, "working_days"),
        "fee": 50000,  # per contract
        "papers": [
            ("Dự thảo hợp đồng, giao dịch", "original"),
            ("Giấy tờ tùy thân của người yêu cầu chứng thực", "copy"),
            ("Giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở hoặc tài sản", "copy"),
        ],
        "legal_basis": ATTESTATION_LAW,
    },
    {
        "code": "2.001406",
        "former_codes": ["HUE-XA-006"],
        "name": "Chứng thực văn bản thỏa thuận phân chia di sản mà di sản là động sản, "
        "quyền sử dụng đất, nhà ở",
        "field": "Chứng thực",
        "limit": (2, "working_days"),
        "fee": 50000,
        "papers": [
            ("Dự thảo văn bản thỏa thuận phân chia di sản", "original"),
            ("Giấy chứng tử của người để lại di sản", "copy"),
            ("Giấy tờ chứng minh quan hệ giữa người để lại di sản và người thừa kế", "copy"),
            ("Giấy chứng nhận quyền sở hữu, quyền sử dụng tài sản", "copy"),
        ],
        "legal_basis": ATTESTATION_LAW,
    },
    {
        "code": "1.001731",
        "former_codes": ["HUE-XA-011"],
        "name": "Hỗ trợ chi phí mai táng cho đối tượng bảo trợ xã hội",
        "field": "Bảo trợ xã hội",
        "limit": (3, "working_days"),
        "fee": 0,
        "papers": [
            ("Tờ khai đề nghị hỗ trợ chi phí mai táng (theo mẫu)", "original"),
            ("Giấy chứng tử hoặc trích lục khai tử", "copy"),
            ("Quyết định hưởng trợ cấp xã hội của người đã mất", "copy"),
        ],
        "legal_basis": (
            "Nghị định số 20/2021/NĐ-CP ngày 15/3/2021 của Chính phủ quy định chính sách trợ "
            "giúp xã hội đối với đối tượng bảo trợ xã hội, sửa đổi bởi Nghị định số "
            "76/2024/NĐ-CP"
        ),
    },
    {
        "code": "1.012812",
        "former_codes": ["HUE-XA-012"],
        "name": "Hòa giải tranh chấp đất đai",
        "field": "Đất đai",
        # Counted in days from the request, not working days (Luật Đất đai 2024, art. 235).
        "limit": (30, "calendar_days"),
        "fee": 0,
        "papers": [
            ("Đơn yêu cầu hòa giải tranh chấp đất đai", "original"),
            ("Giấy tờ, tài liệu liên quan đến thửa đất tranh chấp", "copy"),
        ],
        "legal_basis": (
            "Luật Đất đai năm 2024 (Điều 235); Nghị định số 102/2024/NĐ-CP ngày 30/7/2024 của "
            "Chính phủ"
        ),
    },
]

# Procedures of earlier releases' catalogue that are not the ward desk's, by code: a hub's
# store made by an earlier release has them, and migration 0033 takes them out of the wards'
# catalogue (active false) without deleting them, so the dossiers received under them stay
# readable (central_hub/reference/catalogue.py).
WITHDRAWN_PROCEDURES: dict[str, str] = {
    "HUE-XA-007": "Đăng ký thường trú",
    "HUE-XA-008": "Đăng ký tạm trú",
    "HUE-XA-009": "Xác nhận thông tin về cư trú",
    "HUE-XA-010": "Khai báo tạm vắng",
}

# Make-up working Saturdays that the holidays package does not list, each with the weekday given
# off in exchange: (make-up Saturday, day off). Add a year's swaps here once they are decided.
MAKEUP_WORKDAYS: list[tuple[str, str]] = [
    # Thông báo 6150/TB-BLĐTBXH (after Công văn 8726/VPCP-KGVX of 26/11/2024): officials work
    # Saturday 26/04/2025 and take Friday 02/05/2025 off.
    ("2025-04-26", "2025-05-02"),
    # Work Saturday 22/08/2026 for Monday 31/08/2026 off, as holidays 0.109 records it (its
    # VietnamStaticHolidays cites the 2026 National Day schedule); not checked against the decision.
    ("2026-08-22", "2026-08-31"),
]
