"""Files staff attach when they register a report (a scanned letter, photos, a referral form):
checked by their content, never by the name or type the browser claims, then kept as evidence
(bot/casework/evidence.py: SHA-256, size, type, time).

Accepted: images Pillow can open (JPEG, PNG, GIF, WebP, TIFF, BMP) within its decompression-bomb
limit, PDF, Word/Excel (OOXML) documents whose unpacked size stays within bounds, and MP4/MOV
video. Anything else is refused with a reason staff understand (staff.yml `register.files`).
"""

from __future__ import annotations

import io
import logging
import warnings
import zipfile
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from bot import texts

logger = logging.getLogger(__name__)

#: Most files one registration may carry.
MAX_FILES = 10
#: An OOXML document unpacking to more than this many times its size (or 200 MB) is a zip bomb.
MAX_UNPACK_RATIO = 100
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
_IMAGE_TYPES = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "GIF": "image/gif",
    "WEBP": "image/webp",
    "TIFF": "image/tiff",
    "BMP": "image/bmp",
}
_OOXML = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class AttachmentRefused(ValueError):
    """A file that is not kept; the message names the file and the reason, in Chinese."""


@dataclass(frozen=True)
class Checked:
    """A file fit to keep: its evidence kind, its real content type and its name."""

    name: str
    kind: str  # image / video / document
    content_type: str
    data: bytes


def _refuse(key: str, name: str, **values: object) -> AttachmentRefused:
    return AttachmentRefused(texts.text("staff", f"register.files.{key}", name=name, **values))


def _image(data: bytes) -> str | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                fmt = img.format or ""
                img.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        return None
    return _IMAGE_TYPES.get(fmt)


def _ooxml(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
            names = {i.filename for i in infos}
            unpacked = sum(i.file_size for i in infos)
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if unpacked > min(MAX_UNPACKED_BYTES, max(len(data), 1) * MAX_UNPACK_RATIO):
        raise zipfile.LargeZipFile("unpacks too large")
    for prefix, content_type in _OOXML.items():
        if any(n.startswith(prefix) for n in names):
            return content_type
    return None


def check(name: str, data: bytes, *, max_bytes: int) -> Checked:
    """The file as evidence, or AttachmentRefused (empty, too big, not a kind we keep, a bomb)."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1][:120] or "未命名文件"
    if not data:
        raise _refuse("empty", name)
    if len(data) > max_bytes:
        raise _refuse("too_large", name, mb=max_bytes // (1024 * 1024))
    if data.startswith(b"%PDF-"):
        return Checked(name, "document", "application/pdf", data)
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        content_type = "video/quicktime" if brand == b"qt  " else "video/mp4"
        return Checked(name, "video", content_type, data)
    if data.startswith(b"PK\x03\x04"):
        try:
            document_type = _ooxml(data)
        except zipfile.LargeZipFile:
            raise _refuse("bomb", name) from None
        if document_type:
            return Checked(name, "document", document_type, data)
        raise _refuse("unsupported", name)
    try:
        image_type = _image(data)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse("bomb", name) from None
    if image_type:
        return Checked(name, "image", image_type, data)
    raise _refuse("unsupported", name)
