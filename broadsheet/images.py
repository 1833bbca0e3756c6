"""Responsive photos with Pillow: each photo in a few widths, as WebP and in its own format.

Readers on phones should not download a 1,600-pixel photo, and nothing should jump while a
photo loads, so pages get `srcset`, `sizes`, `width` and `height`. Variants are kept in the
build cache under the SHA-256 of the source bytes, so each is made once. EXIF orientation is
applied and all metadata (camera, GPS) is dropped from the copies readers get.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

WIDTHS = (480, 960, 1600)
MAX_PIXELS = 50_000_000  # larger sources are refused (decompression bombs, careless uploads)
RESIZABLE = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
QUALITY = 82


class ImageProblem(ValueError):
    """A photo that cannot be used, with a reason meant for the article's author."""


@dataclass(frozen=True)
class Probe:
    width: int
    height: int
    extension: str  # of the variants in the source's own format; "" when not resized


def probe(path: Path) -> Probe:
    """Dimensions and format, reading only the header; SVG is used as it is."""
    if path.suffix.lower() == ".svg":
        return Probe(0, 0, "")
    try:
        with Image.open(path) as image:
            width, height = image.size
            kind = image.format
            if width * height > MAX_PIXELS:
                raise ImageProblem(
                    f"is {width}×{height} pixels; the limit is {MAX_PIXELS // 1_000_000} megapixels"
                )
            image.verify()
    except ImageProblem:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageProblem(f"is not a readable image ({exc})") from None
    if kind in ("JPEG", "MPO"):
        kind = "JPEG"
    # A second open: verify() must come straight after open, and it spends the file.
    with Image.open(path) as image:  # sideways camera photos: report the upright size
        orientation = image.getexif().get(0x0112, 1)
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return Probe(width, height, RESIZABLE.get(kind, ""))


def widths(original: int) -> tuple[int, ...]:
    """The widths to make of a photo `original` pixels wide: never wider than the source."""
    chosen = [w for w in WIDTHS if w < original]
    chosen.append(min(original, WIDTHS[-1]))
    return tuple(sorted(set(chosen)))


def variant(source: Path, width: int, extension: str, cache: Path, digest: str = "") -> Path:
    """The cached file of `source` resized to `width` in `extension` format (made if needed).
    Its name holds the SHA-256 of the source (`digest`, when the caller already has it)."""
    digest = digest or hashlib.sha256(source.read_bytes()).hexdigest()
    target = cache / f"{digest[:32]}-{width}.{extension}"
    if target.is_file():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    with Image.open(source) as image:
        image = ImageOps.exif_transpose(image)
        if image.width > width:
            height = round(image.height * width / image.width)
            image = image.resize((width, height), Image.Resampling.LANCZOS)
        fd, temp = tempfile.mkstemp(dir=cache, suffix=f".{extension}")
        with os.fdopen(fd, "wb") as handle:
            _save(image, handle, extension)
    os.replace(temp, target)
    return target


def _save(image: Image.Image, handle, extension: str) -> None:
    if extension == "jpg":
        image.convert("RGB").save(handle, "JPEG", quality=QUALITY, optimize=True, progressive=True)
    elif extension == "png":
        image.save(handle, "PNG", optimize=True)
    else:
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        image.save(handle, "WEBP", quality=QUALITY, method=4)
