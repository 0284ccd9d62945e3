"""The kinds of file the offices exchange, recognised by their bytes (docs/security.md, "Files").

A file is judged by what it is, never by its name or by the media type a browser, a form or
another unit's ``attachment`` record claims: every place a file enters (an upload at a ward,
at the console or at the citizens' portal, a file received by sync at the hub or at a ward)
calls :func:`check_file` before the file is stored, and every place one is served takes its
media type from :func:`recognise`.

Accepted, each by its signature at offset 0:

- PDF (ISO 32000 header ``%PDF-``), shown in the browser, without active content: a PDF that
  names JavaScript, a launch action, an embedded file or rich media is refused (a scan never
  does; see :func:`pdf_active_content`);
- JPEG (``FF D8 FF``) and PNG (its 8-byte signature), shown in the browser;
- TIFF (``II*\\0`` or ``MM\\0*``): what many scanners write; browsers do not display it, so it
  is only ever a download.

Refused: everything else, office documents included, except where a caller asks for the
Word and Excel kinds of ``officefiles.py`` (``OFFICE``): only edXML documents from outside
agencies bring them (docs/edxml.md), as downloads, with a check of their own (no macros, no
remote template or OLE object). They carry active content that no signature check can rule
out entirely, which is why they are never shown in a page and nowhere else accepted. Four
fixed signatures are checked here by hand rather than through a general recogniser: such a
library answers "what is this most likely", while the question here is "is it exactly one of
these four", and the answer must not move when the library's table does.
"""

from __future__ import annotations

import mmap
import re
from pathlib import Path

from .errors import UnsupportedFile
from .filekind import FileKind
from .officefiles import office_kind

HEAD_BYTES = 16  # enough for every signature below


PDF = FileKind("application/pdf", "PDF", True, "pdf")
JPEG = FileKind("image/jpeg", "JPEG", True, "jpg")
PNG = FileKind("image/png", "PNG", True, "png")
TIFF = FileKind("image/tiff", "TIFF", False, "tif")

ACCEPTED: tuple[FileKind, ...] = (PDF, JPEG, PNG, TIFF)
_SIGNATURES: tuple[tuple[bytes, FileKind], ...] = (
    (b"%PDF-", PDF),
    (b"\xff\xd8\xff", JPEG),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
)

# PDF names that make a document do something when opened or clicked. ``#xx`` escapes in
# names (``/J#61vaScript``) are decoded before comparing; names inside compressed object
# streams are not seen, which is why files are also served sandboxed (docs/security.md,
# "Browser policy").
_ACTIVE_NAMES = frozenset(
    {b"JavaScript", b"JS", b"Launch", b"EmbeddedFile", b"EmbeddedFiles", b"RichMedia"}
)
_PLAIN_ACTIVE = re.compile(
    rb"/(?:JavaScript|JS|Launch|EmbeddedFiles?|RichMedia)(?![^\s/\[\]<>(){}%])"
)
_ESCAPED_NAME = re.compile(rb"/[^\s/\[\]<>(){}%]*#[0-9A-Fa-f]{2}[^\s/\[\]<>(){}%]*")
_HEX = re.compile(rb"#([0-9A-Fa-f]{2})")
_STREAM = re.compile(rb"\bstream(?:\r\n|\n|\r)")


def recognise(head: bytes) -> FileKind | None:
    """The accepted kind whose signature ``head`` (the file's first bytes) starts with."""
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    return None


def accepted_labels(accepted: tuple[FileKind, ...] = ACCEPTED) -> str:
    """The names of ``accepted`` as a Vietnamese list: "PDF, JPEG, PNG hoặc TIFF"."""
    labels = list(dict.fromkeys(k.label for k in accepted))
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " hoặc " + labels[-1]


def pdf_active_content(data: bytes | mmap.mmap) -> bool:
    """Whether a PDF's bytes name JavaScript, a launch action, an embedded file or rich media
    in its objects. The data of streams is skipped: a scan's compressed images are random
    bytes, where ``/JS`` turns up by chance about once in 250 MiB."""
    pos, end = 0, len(data)
    while pos < end:
        opened = _STREAM.search(data, pos)
        stop = opened.start() if opened else end
        if _names_active(data, pos, stop):
            return True
        if opened is None:
            return False
        closed = data.find(b"endstream", opened.end())
        if closed < 0:
            return False  # the rest of the file is the data of an unterminated stream
        pos = closed + len(b"endstream")
    return False


def _names_active(data: bytes | mmap.mmap, pos: int, end: int) -> bool:
    if _PLAIN_ACTIVE.search(data, pos, end):
        return True
    for found in _ESCAPED_NAME.finditer(data, pos, end):
        name = _HEX.sub(lambda m: bytes([int(m.group(1), 16)]), found.group()[1:])
        if name in _ACTIVE_NAMES:
            return True
    return False


def check_bytes(data: bytes, name: str = "", accepted: tuple[FileKind, ...] = ACCEPTED) -> FileKind:
    """The kind of the file ``data`` (named ``name`` in messages) if it is one of
    ``accepted`` and, for a PDF, carries no active content; :class:`UnsupportedFile`
    otherwise."""
    kind = recognise(data[:HEAD_BYTES])
    if kind is None and _wants_office(accepted):
        kind = _office(data, name)
    if kind is None or kind not in accepted:
        raise _refused(name, accepted)
    if kind is PDF and pdf_active_content(data):
        raise _active(name)
    return kind


def check_file(
    path: str | Path, name: str = "", accepted: tuple[FileKind, ...] = ACCEPTED
) -> FileKind:
    """:func:`check_bytes` on the file at ``path``, read through a memory map."""
    with open(path, "rb") as f:
        head = f.read(HEAD_BYTES)
        kind = recognise(head)
        if kind is None and _wants_office(accepted):
            f.seek(0)
            kind = _office(f.read(), name)
        if kind is None or kind not in accepted:
            raise _refused(name, accepted)
        if kind is PDF:
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as view:
                if pdf_active_content(view):
                    raise _active(name)
    return kind


def kind_of(path: str | Path) -> FileKind | None:
    """The kind of a stored file by its first bytes (to serve it), ``None`` if not accepted."""
    try:
        with open(path, "rb") as f:
            head = f.read(HEAD_BYTES)
            kind = recognise(head)
            if kind is None and head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
                f.seek(0)
                try:
                    kind = _office(f.read(), "")
                except UnsupportedFile:
                    return None
            return kind
    except FileNotFoundError:
        return None


def download_name(name: str, kind: FileKind | None) -> str:
    """``name`` for a download, its extension made to match ``kind``: a TIFF saved as
    ``giay-to.html`` must not open in a browser from the desk's disk (``.bin`` when the
    bytes are of no accepted kind)."""
    extension = kind.extension if kind else "bin"
    stem, dot, current = name.rpartition(".")
    if dot and stem and current.lower() in _EXTENSIONS.get(extension, {extension}):
        return name
    return f"{name or 'tep'}.{extension}"


_EXTENSIONS = {"jpg": {"jpg", "jpeg"}, "tif": {"tif", "tiff"}}


def _wants_office(accepted: tuple[FileKind, ...]) -> bool:
    return any(k.label in ("Word", "Excel") for k in accepted)


def _office(data: bytes, name: str) -> FileKind | None:
    return office_kind(data, name)


def _called(name: str) -> str:
    return f"Tệp '{name}'" if name else "Tệp"


def _refused(name: str, accepted: tuple[FileKind, ...]) -> UnsupportedFile:
    labels = accepted_labels(accepted)
    return UnsupportedFile(
        f"{_called(name)} không phải tệp {labels} (nhận biết theo nội dung tệp, không theo "
        f"tên). Hãy quét hoặc lưu giấy tờ thành tệp {labels}; văn bản Word, Excel hãy lưu "
        "thành PDF rồi đính kèm.",
        accepted=[k.mime for k in dict.fromkeys(accepted)],
    )


def _active(name: str) -> UnsupportedFile:
    return UnsupportedFile(
        f"{_called(name)} là PDF có chứa mã chạy tự động (JavaScript, lệnh mở chương trình "
        "hoặc tệp nhúng), điều mà bản quét giấy tờ không cần. Hãy quét lại hoặc in lại thành "
        "PDF rồi đính kèm.",
        code="active_content",
    )
