"""What an edXML status code says (QCVN 102:2016, the national document exchange platform;
docs/edxml.md, "Statuses"), as the console and the ward's document pages show an outside
agency's last report."""

from __future__ import annotations

EDXML_STATUS_NAMES = {
    "01": "Đã đến (phần mềm của cơ quan nhận đã nhận)",
    "02": "Từ chối tiếp nhận",
    "03": "Văn thư đã tiếp nhận, vào sổ",
    "04": "Đã phân công xử lý",
    "05": "Đang xử lý",
    "06": "Đã hoàn thành xử lý",
    "13": "Đề nghị thu hồi",
    "15": "Đồng ý thu hồi, cập nhật",
    "16": "Từ chối thu hồi, cập nhật",
}
