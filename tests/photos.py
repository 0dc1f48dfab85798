"""Photos made in the test with Pillow, with the EXIF a phone camera writes (capture time, offset,
GPS IFD), without it (as WeChat sends them), or broken on purpose."""

from __future__ import annotations

import io
import struct
from datetime import datetime

from PIL import ExifTags, Image


def dms(degrees: float) -> tuple[float, float, float]:
    """Decimal degrees → (degrees, minutes, seconds), as EXIF stores a position."""
    d = int(degrees)
    m = int((degrees - d) * 60)
    s = (degrees - d - m / 60) * 3600
    return float(d), float(m), round(s, 4)


def photo(
    *,
    taken: datetime | str | None = None,
    offset: str | None = None,
    position: tuple[float, float] | None = None,
    fmt: str = "JPEG",
    size: tuple[int, int] = (48, 32),
) -> bytes:
    """An image; with `taken` (naive local time, or EXIF text as is), `offset` ("+08:00") and
    `position` ((lat, lon), WGS-84; negative for S/W) written into its EXIF."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "GreenWhistleTestCam"
    if taken is not None:
        text = taken if isinstance(taken, str) else taken.strftime("%Y:%m:%d %H:%M:%S")
        details = exif.get_ifd(ExifTags.IFD.Exif)
        details[ExifTags.Base.DateTimeOriginal] = text
        if offset:
            details[ExifTags.Base.OffsetTimeOriginal] = offset
    if position is not None:
        lat, lon = position
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps[ExifTags.GPS.GPSLatitudeRef] = "N" if lat >= 0 else "S"
        gps[ExifTags.GPS.GPSLatitude] = dms(abs(lat))
        gps[ExifTags.GPS.GPSLongitudeRef] = "E" if lon >= 0 else "W"
        gps[ExifTags.GPS.GPSLongitude] = dms(abs(lon))
    buf = io.BytesIO()
    Image.new("RGB", size, (90, 110, 70)).save(buf, fmt, exif=exif)
    return buf.getvalue()


def stripped() -> bytes:
    """A JPEG without any EXIF, as WeChat re-encodes a photo."""
    buf = io.BytesIO()
    Image.new("RGB", (48, 32), (90, 110, 70)).save(buf, "JPEG")
    return buf.getvalue()


def with_dimensions(data: bytes, width: int, height: int) -> bytes:
    """A JPEG whose frame header (SOF0) claims other dimensions: a decompression bomb's header."""
    at = data.index(b"\xff\xc0")
    return data[: at + 5] + struct.pack(">HH", height, width) + data[at + 9 :]
