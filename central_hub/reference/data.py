"""The hub's seed reference data as plain constants: units, procedures, calendar exceptions.

Only data lives here; :mod:`central_hub.reference.seed` turns it into records. Everything here is
editable by the hub's administrators once seeded, so a change in law or in a year's calendar is
an edit of the stored records, not of this file.
"""

from typing import TypedDict

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

# Ward-level procedures (thủ tục hành chính cấp xã). National catalogue codes (Cổng Dịch vụ công
# quốc gia) are given where known; "HUE-XA-NNN" marks a local code to be replaced by the national
# one. Fees: fixed nationally for copies of civil-status extracts (Thông tư 281/2016/TT-BTC),
# attestation (Thông tư 226/2016/TT-BTC, the per-page or per-case base rate) and residence
# registration (Thông tư 75/2022/TT-BTC, in-person rate); the other civil-status fees are set by the
# provincial People's Council, and the figures here are placeholders for the administrator to check.
# limit_value 0 with "working_days" means "the same working day", unless received after the cutoff.
# A same-day procedure recomputes its deadline from the completed dossier; a longer one extends
# it by the time spent waiting for the supplement (status 5 stops the clock).
PROCEDURE_VALID_FROM = "2025-07-01"
SAME_DAY_CUTOFF = "15:00"


class ProcedureSeed(TypedDict):
    """One procedure: papers are (name, kind), one set each; fee in VND."""

    code: str
    name: str
    field: str
    limit: tuple[int, str]  # (limit_value, limit_unit)
    fee: int
    papers: list[tuple[str, str]]


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
    },
    {
        "code": "HUE-XA-001",
        "name": "Cấp bản sao trích lục hộ tịch",
        "field": "Hộ tịch",
        "limit": (0, "working_days"),
        "fee": 8000,  # per copy
        "papers": [("Tờ khai cấp bản sao trích lục hộ tịch (theo mẫu)", "original")],
    },
    {
        "code": "HUE-XA-002",
        "name": "Đăng ký nhận cha, mẹ, con",
        "field": "Hộ tịch",
        "limit": (3, "working_days"),
        "fee": 15000,
        "papers": [
            ("Tờ khai đăng ký nhận cha, mẹ, con (theo mẫu)", "original"),
            ("Văn bản chứng minh quan hệ cha, mẹ, con", "original_or_copy"),
        ],
    },
    {
        "code": "HUE-XA-003",
        "name": "Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan Việt Nam cấp",
        "field": "Chứng thực",
        "limit": (0, "working_days"),
        "fee": 2000,  # per page; 1,000 from the third page (Thông tư 226/2016/TT-BTC)
        "papers": [
            ("Bản chính giấy tờ, văn bản làm cơ sở chứng thực", "original"),
            ("Bản sao cần chứng thực", "copy"),
        ],
    },
    {
        "code": "HUE-XA-004",
        "name": "Chứng thực chữ ký trong các giấy tờ, văn bản",
        "field": "Chứng thực",
        "limit": (0, "working_days"),
        "fee": 10000,  # per case
        "papers": [
            ("Giấy tờ, văn bản cần chứng thực chữ ký", "original"),
            ("Giấy tờ tùy thân của người yêu cầu chứng thực", "original_or_copy"),
        ],
    },
    {
        "code": "HUE-XA-005",
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
    },
    {
        "code": "HUE-XA-006",
        "name": "Chứng thực văn bản thỏa thuận phân chia di sản",
        "field": "Chứng thực",
        "limit": (2, "working_days"),
        "fee": 50000,
        "papers": [
            ("Dự thảo văn bản thỏa thuận phân chia di sản", "original"),
            ("Giấy chứng tử của người để lại di sản", "copy"),
            ("Giấy tờ chứng minh quan hệ giữa người để lại di sản và người thừa kế", "copy"),
            ("Giấy chứng nhận quyền sở hữu, quyền sử dụng tài sản", "copy"),
        ],
    },
    {
        "code": "HUE-XA-007",
        "name": "Đăng ký thường trú",
        "field": "Cư trú",
        "limit": (7, "working_days"),
        "fee": 20000,
        "papers": [
            ("Tờ khai thay đổi thông tin cư trú (mẫu CT01)", "original"),
            ("Giấy tờ, tài liệu chứng minh chỗ ở hợp pháp", "copy"),
        ],
    },
    {
        "code": "HUE-XA-008",
        "name": "Đăng ký tạm trú",
        "field": "Cư trú",
        "limit": (3, "working_days"),
        "fee": 15000,
        "papers": [
            ("Tờ khai thay đổi thông tin cư trú (mẫu CT01)", "original"),
            ("Giấy tờ, tài liệu chứng minh chỗ ở hợp pháp", "copy"),
        ],
    },
    {
        "code": "HUE-XA-009",
        "name": "Xác nhận thông tin về cư trú",
        "field": "Cư trú",
        # Half a working day when the data is already in the residence database.
        "limit": (4, "working_hours"),
        "fee": 0,
        "papers": [("Tờ khai thay đổi thông tin cư trú (mẫu CT01)", "original")],
    },
    {
        "code": "HUE-XA-010",
        "name": "Khai báo tạm vắng",
        "field": "Cư trú",
        "limit": (1, "working_days"),
        "fee": 0,
        "papers": [("Tờ khai thay đổi thông tin cư trú (mẫu CT01)", "original")],
    },
    {
        "code": "HUE-XA-011",
        "name": "Hỗ trợ chi phí mai táng cho đối tượng bảo trợ xã hội",
        "field": "Bảo trợ xã hội",
        "limit": (3, "working_days"),
        "fee": 0,
        "papers": [
            ("Tờ khai đề nghị hỗ trợ chi phí mai táng (theo mẫu)", "original"),
            ("Giấy chứng tử hoặc trích lục khai tử", "copy"),
            ("Quyết định hưởng trợ cấp xã hội của người đã mất", "copy"),
        ],
    },
    {
        "code": "HUE-XA-012",
        "name": "Hòa giải tranh chấp đất đai",
        "field": "Đất đai",
        # Counted in days from the request, not working days (Luật Đất đai 2024, art. 235).
        "limit": (30, "calendar_days"),
        "fee": 0,
        "papers": [
            ("Đơn yêu cầu hòa giải tranh chấp đất đai", "original"),
            ("Giấy tờ, tài liệu liên quan đến thửa đất tranh chấp", "copy"),
        ],
    },
]

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
