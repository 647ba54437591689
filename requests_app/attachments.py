"""Check an uploaded document by its name *and* its content.

Only PDF, DOCX, XLSX, CSV and TXT are accepted, at most
``settings.ATTACHMENT_MAX_BYTES`` each. A file whose bytes do not match its
extension (an executable renamed ``.pdf``, a spreadsheet renamed ``.docx``) is
refused with a message that says what to do.
"""

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".csv": "text/csv",
    ".txt": "text/plain",
}
#: The part an Office Open XML package must contain to be what it says.
_OOXML_MAIN_PART = {".docx": "word/document.xml", ".xlsx": "xl/workbook.xml"}


@dataclass(frozen=True)
class CheckedFile:
    extension: str
    content_type: str
    size: int
    sha256: str


def _looks_like_text(head: bytes) -> bool:
    """UTF-8 (or Windows-1252, as spreadsheets export it) with no NUL byte."""
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as error:
        if error.start >= len(head) - 3:
            return True  # a multi-byte character cut by the end of the sample
    try:
        head.decode("cp1252")
        return True
    except UnicodeDecodeError:
        return False


def _content_matches(extension: str, uploaded) -> bool:
    uploaded.seek(0)
    head = uploaded.read(64 * 1024)
    uploaded.seek(0)
    if extension == ".pdf":
        return head.startswith(b"%PDF-")
    if extension in _OOXML_MAIN_PART:
        if not head.startswith(b"PK\x03\x04"):
            return False
        try:
            with zipfile.ZipFile(uploaded) as package:
                names = set(package.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return False
        finally:
            uploaded.seek(0)
        return "[Content_Types].xml" in names and _OOXML_MAIN_PART[extension] in names
    return _looks_like_text(head)


def check_uploaded_file(uploaded) -> CheckedFile:
    """Return what the portal records of ``uploaded``, or raise ``ValidationError`` on ``file``."""
    extension = PurePath(uploaded.name or "").suffix.lower()
    if extension not in CONTENT_TYPES:
        raise ValidationError(
            {"file": _("This type of file is not accepted. Send a PDF, DOCX, XLSX, CSV or TXT file.")}
        )
    limit = settings.ATTACHMENT_MAX_BYTES
    if uploaded.size > limit:
        raise ValidationError(
            {
                "file": _("This file is %(size)s; the limit is %(limit)s. Send a smaller file or split it.")
                % {"size": filesizeformat(uploaded.size), "limit": filesizeformat(limit)}
            }
        )
    if uploaded.size == 0:
        raise ValidationError({"file": _("This file is empty. Choose the right file.")})
    if not _content_matches(extension, uploaded):
        raise ValidationError(
            {
                "file": _("The content of this file is not a %(type)s document. Check the file and send it again.")
                % {"type": extension[1:].upper()}
            }
        )
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    return CheckedFile(
        extension=extension, content_type=CONTENT_TYPES[extension], size=uploaded.size, sha256=digest.hexdigest()
    )
