"""What a photo says about itself (固化证据): its EXIF capture time and GPS position, read with
Pillow. The position is WGS-84; bot/casework/datums.py makes it comparable with a pin.

Evidence files come from citizens, so reading them must survive hostile ones: a file over
MAX_FILE_BYTES is not opened, Pillow's decompression-bomb limit stands (and only headers are read,
never pixels), and truncated or malformed EXIF yields `unreadable` or no facts, never an
exception. WeChat re-encodes photos and usually strips their metadata: then there is honestly
nothing to show (`none`).
"""

from __future__ import annotations

import logging
import math
import re
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any, Literal

from PIL import ExifTags, Image

logger = logging.getLogger(__name__)

#: Larger files are not opened at all (the channels accept 25 MB; a phone photo is < 20 MB).
MAX_FILE_BYTES = 64 * 1024 * 1024
#: The formats read (photos); other parsers (EPS, PSD, ICO …) are never run on a citizen's file.
FORMATS = ("JPEG", "PNG", "WEBP", "TIFF")  # JPEG includes MPO (multi-picture) files
#: The earliest capture time taken as real; cameras without a set clock write 0000 or 1970.
EARLIEST = datetime(1995, 1, 1, tzinfo=timezone.utc)
_EXIF_TIME = re.compile(r"(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_OFFSET = re.compile(r"([+-])(\d{2}):(\d{2})")

State = Literal["read", "none", "unreadable"]


@dataclass(frozen=True)
class PhotoFacts:
    """A photo's own account of when and where it was taken.

    `state`: `read` (at least a time or a position), `none` (an image without either: stripped
    metadata), `unreadable` (not an image Pillow knows, damaged, too large; `reason` says which).
    `latitude`/`longitude` are WGS-84, as GPS writes them.
    """

    state: State
    taken_at: datetime | None = None
    #: The capture time carried no UTC offset (OffsetTimeOriginal): the deployment's zone was assumed.
    zone_assumed: bool = False
    latitude: float | None = None
    longitude: float | None = None
    reason: str | None = None


def read_photo(path: Path, tz: tzinfo) -> PhotoFacts:
    """EXIF capture time and GPS position of the image at `path`; never raises for bad files.

    `tz` is the zone a capture time without an offset is read in (the deployment's).
    """
    try:
        size = path.stat().st_size
    except OSError:
        return PhotoFacts("unreadable", reason="missing")
    if size > MAX_FILE_BYTES:
        return PhotoFacts("unreadable", reason="too_large")
    try:
        with warnings.catch_warnings():
            # Pillow warns about images near its pixel limit and about corrupt EXIF; neither is
            # ours to log per page view.
            warnings.simplefilter("ignore")
            with Image.open(path, formats=FORMATS) as image:
                # Pillow decodes a PNG whole to look for an eXIf chunk after the pixels: never.
                skip = image.format == "PNG" and "exif" not in image.info
                exif = Image.Exif() if skip else image.getexif()
                base = dict(exif.items())
                details = dict(exif.get_ifd(ExifTags.IFD.Exif).items())
                gps = dict(exif.get_ifd(ExifTags.IFD.GPSInfo).items())
    except Image.DecompressionBombError:
        logger.warning("evidence %s: image dimensions over the decompression-bomb limit", path.name)
        return PhotoFacts("unreadable", reason="too_large")
    except Exception as exc:  # hostile input: any parser failure is "unreadable", not a 500
        logger.info("evidence %s: no readable image (%s)", path.name, type(exc).__name__)
        return PhotoFacts("unreadable", reason="not_an_image")
    taken_at, assumed = capture_time(details, base, tz)
    position = gps_position(gps)
    if taken_at is None and position is None:
        return PhotoFacts("none")
    lat, lon = position or (None, None)
    return PhotoFacts("read", taken_at, assumed, lat, lon)


def capture_time(
    details: dict[int, Any], base: dict[int, Any], tz: tzinfo
) -> tuple[datetime | None, bool]:
    """DateTimeOriginal (else DateTimeDigitized, else the file's DateTime) with its offset tag;
    (None, False) when absent or impossible. Returns (time, zone assumed)."""
    tags = ExifTags.Base
    for when, offset in (
        (details.get(tags.DateTimeOriginal), details.get(tags.OffsetTimeOriginal)),
        (details.get(tags.DateTimeDigitized), details.get(tags.OffsetTimeDigitized)),
        (base.get(tags.DateTime), details.get(tags.OffsetTime)),
    ):
        moment = _exif_datetime(when)
        if moment is None:
            continue
        zone = _exif_offset(offset)
        local = moment.replace(tzinfo=zone or tz)
        if local < EARLIEST:
            continue
        return local, zone is None
    return None, False


def _exif_datetime(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    m = _EXIF_TIME.match(value.strip())
    if not m:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.groups())
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:  # 0000:00:00, month 13 …
        return None


def _exif_offset(value: Any) -> timezone | None:
    m = _OFFSET.fullmatch(value.strip()) if isinstance(value, str) else None
    if not m:
        return None
    hours, minutes = int(m.group(2)), int(m.group(3))
    if hours > 14 or minutes > 59:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if m.group(1) == "-" else delta)


def gps_position(gps: dict[int, Any]) -> tuple[float, float] | None:
    """(latitude, longitude) in degrees from the GPS IFD, or None when absent, malformed, out of
    range, or 0/0 (what some cameras write without a fix)."""
    lat = _degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "NS")
    lon = _degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "EW")
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180:
        return None
    if lat == 0 and lon == 0:
        return None
    return lat, lon


def _degrees(value: Any, ref: Any, hemispheres: str) -> float | None:
    """Degrees, minutes, seconds (rationals) and N/S or E/W → signed decimal degrees."""
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    if not isinstance(ref, str) or ref.strip().upper()[:1] not in hemispheres:
        return None
    parts = value if isinstance(value, tuple | list) else (value,)
    if not 1 <= len(parts) <= 3:
        return None
    try:
        numbers = [float(p) for p in parts]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not all(math.isfinite(n) and n >= 0 for n in numbers):
        return None
    degrees = sum(n / 60**i for i, n in enumerate(numbers))
    return -degrees if ref.strip().upper()[:1] == hemispheres[1] else degrees
