"""bot/casework/attachments.py: files are judged by their content, never by name or claimed type."""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image

from bot.casework.attachments import AttachmentRefused, check

LIMIT = 5 * 1024 * 1024


def _image(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (10, 10), (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "kind", "content_type"),
    [
        ("photo.jpg", _image("JPEG"), "image", "image/jpeg"),
        ("photo.dat", _image("PNG"), "image", "image/png"),  # the name does not matter
        ("scan.tif", _image("TIFF"), "image", "image/tiff"),
        ("letter.pdf", b"%PDF-1.7\n%%EOF", "document", "application/pdf"),
        (
            "form.docx",
            _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}),
            "document",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("clip.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 32, "video", "video/mp4"),
    ],
)
def test_accepted_files(name: str, data: bytes, kind: str, content_type: str) -> None:
    checked = check(name, data, max_bytes=LIMIT)
    assert (checked.kind, checked.content_type, checked.name) == (kind, content_type, name)


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("a.jpg", b"", "空文件"),
        ("a.exe", b"MZ" + b"\x00" * 100, "不是可接受的文件类型"),
        ("a.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 20, "不是可接受的文件类型"),  # a truncated JPEG
        ("a.zip", _zip({"readme.txt": b"hi"}), "不是可接受的文件类型"),
        ("a.html", b"<script>alert(1)</script>", "不是可接受的文件类型"),
        (
            "bomb.xlsx",
            _zip({"[Content_Types].xml": b"<Types/>", "xl/sheet.xml": b"0" * (20 * 1024 * 1024)}),
            "解压后过大",
        ),
        ("big.pdf", b"%PDF-" + b"0" * LIMIT, "超过 5 MB"),
    ],
)
def test_refused_files(name: str, data: bytes, reason: str) -> None:
    with pytest.raises(AttachmentRefused) as refused:
        check(name, data, max_bytes=LIMIT)
    assert reason in str(refused.value) and name in str(refused.value)


def test_a_path_in_the_name_is_dropped() -> None:
    assert check("C:\\Users\\x\\..\\photo.png", _image("PNG"), max_bytes=LIMIT).name == "photo.png"
