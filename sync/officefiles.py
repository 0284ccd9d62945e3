"""Word and Excel files from agencies outside the city (docs/edxml.md, docs/security.md "Files").

They arrive only with edXML documents from the national exchange platform, where they are the
everyday format; they are stored and offered as downloads, never shown in a page. What can be
checked on the bytes is checked, and a file that fails is refused:

- legacy Word and Excel (``.doc``, ``.xls``): an OLE2 compound file, told apart by its stream
  names (``WordDocument``; ``Workbook`` or ``Book``); refused when it carries a VBA project
  (macros: the ``_VBA_PROJECT`` or ``Macros`` storage);
- Office Open XML (``.docx``, ``.xlsx``): a ZIP holding ``[Content_Types].xml`` and
  ``word/document.xml`` or ``xl/workbook.xml``; refused when it carries ``vbaProject.bin``,
  declares a macro-enabled type, or has a relationship to an external target of a kind that
  runs or fetches on opening (a remote template, an OLE object, a frame: CVE-2022-30190). At
  most :data:`MAX_ENTRIES` entries are listed and only the ``.rels`` parts are read, each at
  most :data:`MAX_RELS_BYTES`.
"""

from __future__ import annotations

import io
import re
import zipfile

from .errors import UnsupportedFile
from .filekind import FileKind

DOCX = FileKind(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word", False, "docx"
)
XLSX = FileKind(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel", False, "xlsx"
)
DOC = FileKind("application/msword", "Word", False, "doc")
XLS = FileKind("application/vnd.ms-excel", "Excel", False, "xls")
OFFICE: tuple[FileKind, ...] = (DOCX, XLSX, DOC, XLS)

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_SIGNATURE = b"PK\x03\x04"
MAX_ENTRIES = 10_000
MAX_RELS_BYTES = 1024 * 1024


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


_RISKY_REL = re.compile(
    rb'Type="[^"]*/(?:attachedTemplate|oleObject|frame|subDocument)"[^>]*TargetMode="External"'
    rb'|TargetMode="External"[^>]*Type="[^"]*/(?:attachedTemplate|oleObject|frame|subDocument)"',
    re.IGNORECASE,
)


def office_kind(data: bytes, name: str = "") -> FileKind | None:
    """The office kind of ``data`` (None if it is not a Word or Excel file); raises
    :class:`UnsupportedFile` for a Word or Excel file with macros or active external parts."""
    if data.startswith(OLE_SIGNATURE):
        return _ole(data, name)
    if data.startswith(ZIP_SIGNATURE):
        return _ooxml(data, name)
    return None


def _ole(data: bytes, name: str) -> FileKind | None:
    if _utf16("_VBA_PROJECT") in data or _utf16("Macros") in data:
        raise _macros(name)
    if _utf16("WordDocument") in data:
        return DOC
    if _utf16("Workbook") in data or _utf16("Book") in data:
        return XLS
    return None


def _ooxml(data: bytes, name: str) -> FileKind | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_ENTRIES:
                return None
            names = {i.filename for i in infos}
            if "[Content_Types].xml" not in names:
                return None
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                raise _macros(name)
            for info in infos:
                if info.filename == "[Content_Types].xml" or info.filename.endswith(".rels"):
                    if info.file_size > MAX_RELS_BYTES:
                        raise _active(name)
                    part = archive.read(info)
                    if b"macroEnabled" in part or _RISKY_REL.search(part):
                        raise _active(name)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError):
        # A broken or encrypted archive is no Word or Excel file: the caller refuses it as a
        # file of an unknown kind (docs/security.md, "Files").
        return None
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    return None


def _called(name: str) -> str:
    return f"Tệp '{name}'" if name else "Tệp"


def _macros(name: str) -> UnsupportedFile:
    return UnsupportedFile(
        f"{_called(name)} là văn bản Word/Excel có macro (mã VBA), hệ thống không nhận. Hãy đề "
        "nghị cơ quan gửi lưu lại thành PDF hoặc tệp không có macro (.docx, .xlsx).",
        code="office_macros",
    )


def _active(name: str) -> UnsupportedFile:
    return UnsupportedFile(
        f"{_called(name)} là văn bản Word/Excel có thành phần tự chạy hoặc tự tải từ mạng khi mở "
        "(mẫu, đối tượng OLE từ xa), hệ thống không nhận. Hãy đề nghị cơ quan gửi lưu lại thành "
        "PDF.",
        code="office_active_content",
    )
