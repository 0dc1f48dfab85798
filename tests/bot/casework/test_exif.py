"""A photo's own account (EXIF via Pillow): capture time and GPS position from images made here,
honest "none" for stripped photos, and no exception for hostile files."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from bot.casework import exif
from bot.casework.exif import read_photo
from tests.photos import photo, stripped, with_dimensions

SHANGHAI = ZoneInfo("Asia/Shanghai")


def write(tmp_path: Path, data: bytes, name: str = "photo") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# -- reading ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("position", "offset", "expected_utc"),
    [
        ((31.467813, 104.678125), "+08:00", datetime(2026, 11, 30, 6, 5, 9, tzinfo=UTC)),
        ((-33.856784, -70.648401), "-03:00", datetime(2026, 11, 30, 17, 5, 9, tzinfo=UTC)),
    ],
)
def test_capture_time_and_position_are_read(
    tmp_path: Path,
    position: tuple[float, float],
    offset: str,
    expected_utc: datetime,
) -> None:
    path = write(
        tmp_path, photo(taken=datetime(2026, 11, 30, 14, 5, 9), offset=offset, position=position)
    )
    facts = read_photo(path, SHANGHAI)
    assert facts.state == "read"
    assert facts.taken_at == expected_utc
    assert not facts.zone_assumed
    assert facts.latitude == pytest.approx(position[0], abs=1e-6)
    assert facts.longitude == pytest.approx(position[1], abs=1e-6)


def test_a_time_without_offset_is_read_in_the_deployments_zone(tmp_path: Path) -> None:
    facts = read_photo(write(tmp_path, photo(taken=datetime(2026, 11, 30, 23, 30))), SHANGHAI)
    assert facts.taken_at == datetime(2026, 11, 30, 15, 30, tzinfo=UTC)
    assert facts.zone_assumed
    assert facts.latitude is None and facts.longitude is None


def test_a_position_without_time(tmp_path: Path) -> None:
    facts = read_photo(write(tmp_path, photo(position=(31.46, 104.68))), SHANGHAI)
    assert facts.state == "read" and facts.taken_at is None
    assert facts.latitude == pytest.approx(31.46)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_other_photo_formats_carry_exif_too(tmp_path: Path, fmt: str) -> None:
    data = photo(taken=datetime(2026, 5, 1, 9, 0), offset="+08:00", position=(30.1, 104.2), fmt=fmt)
    facts = read_photo(write(tmp_path, data), SHANGHAI)
    assert facts.state == "read"
    assert facts.taken_at == datetime(2026, 5, 1, 1, 0, tzinfo=UTC)
    assert facts.latitude == pytest.approx(30.1)


def test_the_files_datetime_is_the_last_resort(tmp_path: Path) -> None:
    """Pillow's TIFF writer keeps only the main IFD: its DateTime is what such a file says."""
    import io

    from PIL import ExifTags

    tags = Image.Exif()
    tags[ExifTags.Base.DateTime] = "2026:05:01 09:00:00"
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "TIFF", exif=tags)
    facts = read_photo(write(tmp_path, buf.getvalue()), SHANGHAI)
    assert facts.taken_at == datetime(2026, 5, 1, 1, 0, tzinfo=UTC) and facts.zone_assumed


def test_a_stripped_photo_has_no_metadata(tmp_path: Path) -> None:
    """WeChat re-encodes photos without EXIF: that is "none", not an error."""
    assert read_photo(write(tmp_path, stripped()), SHANGHAI) == exif.PhotoFacts("none")
    only_make = photo()  # EXIF with a camera make, but neither time nor position
    assert read_photo(write(tmp_path, only_make, "make"), SHANGHAI).state == "none"


@pytest.mark.parametrize(
    "taken",
    ["0000:00:00 00:00:00", "2026:13:45 25:61:00", "yesterday", "1970:01:01 08:00:00", "    "],
)
def test_impossible_capture_times_are_no_time(tmp_path: Path, taken: str) -> None:
    facts = read_photo(write(tmp_path, photo(taken=taken)), SHANGHAI)
    assert facts.taken_at is None and facts.state == "none"


def test_gps_zero_zero_and_bad_references_are_no_position() -> None:
    from PIL import ExifTags
    from PIL.TiffImagePlugin import IFDRational

    gps = ExifTags.GPS
    good = {
        gps.GPSLatitudeRef: "N",
        gps.GPSLatitude: (IFDRational(31), IFDRational(0), IFDRational(0)),
        gps.GPSLongitudeRef: "E",
        gps.GPSLongitude: (IFDRational(104), IFDRational(30), IFDRational(0)),
    }
    assert exif.gps_position(good) == (31.0, 104.5)
    zero = {**good, gps.GPSLatitude: (0.0, 0.0, 0.0), gps.GPSLongitude: (0.0, 0.0, 0.0)}
    assert exif.gps_position(zero) is None
    assert exif.gps_position({**good, gps.GPSLatitudeRef: "X"}) is None
    assert exif.gps_position({**good, gps.GPSLatitude: (IFDRational(1, 0), 0.0, 0.0)}) is None
    assert exif.gps_position({**good, gps.GPSLatitude: (95.0, 0.0, 0.0)}) is None
    assert exif.gps_position({**good, gps.GPSLatitude: "31,0,0"}) is None
    assert exif.gps_position({**good, gps.GPSLatitudeRef: b"S"}) == (-31.0, 104.5)


# -- hostile files --------------------------------------------------------------------------------
def test_a_decompression_bomb_is_not_opened(tmp_path: Path) -> None:
    bomb = with_dimensions(photo(taken=datetime(2026, 1, 1)), 65000, 65000)
    facts = read_photo(write(tmp_path, bomb), SHANGHAI)
    assert (facts.state, facts.reason) == ("unreadable", "too_large")


def test_a_png_is_never_decoded_to_look_for_exif(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, stripped_png())

    def no_decoding(self: Image.Image) -> None:
        raise AssertionError("pixels decoded")

    monkeypatch.setattr("PIL.ImageFile.ImageFile.load", no_decoding)
    assert read_photo(path, SHANGHAI).state == "none"


def stripped_png() -> bytes:
    import io

    buf = io.BytesIO()
    Image.new("RGB", (16, 16)).save(buf, "PNG")
    return buf.getvalue()


def test_a_file_over_the_size_limit_is_not_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = photo(taken=datetime(2026, 1, 1))
    monkeypatch.setattr(exif, "MAX_FILE_BYTES", len(data) - 1)
    assert read_photo(write(tmp_path, data), SHANGHAI).reason == "too_large"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not an image at all",
        b"\xff\xd8\xff\xe1\xff\xffExif\x00\x00MM\x00*\x00\x00\x00\x08",  # APP1 cut short
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",  # a format that is not read
        b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n",  # never handed to Ghostscript
    ],
)
def test_garbage_is_unreadable_not_an_exception(tmp_path: Path, data: bytes) -> None:
    facts = read_photo(write(tmp_path, data), SHANGHAI)
    assert (facts.state, facts.reason) == ("unreadable", "not_an_image")


def test_a_missing_file_is_unreadable(tmp_path: Path) -> None:
    assert read_photo(tmp_path / "gone", SHANGHAI).reason == "missing"


def test_truncated_photos_never_raise(tmp_path: Path) -> None:
    data = photo(taken=datetime(2026, 1, 1), offset="+08:00", position=(31.4, 104.6))
    for cut in range(0, len(data), max(1, len(data) // 60)):
        facts = read_photo(write(tmp_path, data[:cut], f"cut{cut}"), SHANGHAI)
        assert facts.state in ("read", "none", "unreadable")


def test_malformed_exif_never_raises(tmp_path: Path) -> None:
    """Random bytes written over the EXIF segment (IFD counts, offsets, types, rationals)."""
    data = photo(taken=datetime(2026, 1, 1), offset="+08:00", position=(31.4, 104.6))
    start = data.index(b"Exif\x00\x00")
    end = start + int.from_bytes(data[start - 2 : start], "big")
    rng = random.Random(20261203)
    states = set()
    for i in range(300):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            mutated[rng.randrange(start + 6, end)] = rng.randrange(256)
        facts = read_photo(write(tmp_path, bytes(mutated), f"m{i}"), SHANGHAI)
        states.add(facts.state)
    assert "read" in states  # most single flips leave something readable


def test_exif_offsets() -> None:
    assert exif._exif_offset("+08:00") == timezone(timedelta(hours=8))
    assert exif._exif_offset("-05:30") == timezone(-timedelta(hours=5, minutes=30))
    assert exif._exif_offset("+25:00") is None
    assert exif._exif_offset(None) is None
