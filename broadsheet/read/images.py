"""Images from strangers' pull requests, checked before they are trusted; photos' copies made
within a memory budget.

`probe` refuses from the header what the build could not afford, then proves the file decodes
completely; `make_variants` decodes a photo once and writes its copies to the build cache
atomically. Every failure is an `ImageProblem` with a reason for the article's author. Limits:
- 16,000 pixels a side: WebP stops at 16,383, and a copy keeps the aspect ratio;
- 40 megapixels: more than a reading archive needs, below Pillow's bomb warning (89 MP);
- 250 MB of memory for one image, estimated from the header by `_memory` (pixels by mode,
  libjpeg's coefficients for progressive JPEGs, peaks measured for Pillow's WebP, AVIF and
  animation decoders and the WebP encoder): one image costs at most ~275 MB with Python;
- animations: 1,000 frames and 200 megapixels in all frames (the time to decode them);
- 100 MB a file: GitHub refuses bigger files, and the PNG check reads the whole file.
Checks are cheap: a JPEG is decoded at 1/8 scale (libjpeg still reads every scan, so a cut file
fails), a still PNG is inflated a megabyte at a time and its pixels dropped, other kinds are
decoded frame by frame. SVG is refused: a drawing can carry script that runs on the site's
origin. `PIL.ImageFile.LOAD_TRUNCATED_IMAGES` must stay False.

Copies are upright (EXIF orientation applied), in sRGB through their ICC profile (colours stay
right everywhere, CMYK included) and carry no metadata at all (EXIF, GPS, XMP, profile).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import math
import os
import stat
import struct
import tempfile
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path

from .. import budget, lazy

Image, ImageCms = lazy.module("PIL.Image"), lazy.module("PIL.ImageCms")

WIDTHS = (480, 960, 1600)
QUALITY = 82
MAX_SIDE, MAX_PIXELS, MAX_BYTES = 16_000, 40_000_000, 100_000_000
MAX_FRAMES, MAX_FRAME_PIXELS = 1_000, 200_000_000
MAX_SCANS = 100  # a progressive JPEG has about ten; thousands make decoding take minutes
MEMORY_BUDGET = 250_000_000
HEAVY_BYTES = 64_000_000  # decodes above this take turns across processes (see `budget`)
# Peak bytes a pixel, measured with Pillow 13, of decoders with buffers of their own (WebP and
# AVIF always, GIF and PNG for animations: all their frames in `probe`).
DECODE_COST = {"WEBP": 16, "AVIF": 12, "GIF": 17, "PNG": 12}
ENCODE_COST = 32  # bytes a pixel of the largest copy: it, its turned copy, WebP's encoder
BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2}  # a pixel in Pillow; 4 for others
RESIZABLE = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}  # AVIF: jpg or png (see `probe`)
BAND_PIXELS = 4_000_000  # converted and reduced at a time
TURNED = (5, 6, 7, 8)  # EXIF orientations that swap width and height
ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2))
PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


@dataclass(frozen=True)
class _Pillow:
    """What the module needs of Pillow, looked up on first use (see `lazy`)."""

    formats: tuple[str, ...]  # opened; no other decoder is tried
    kinds: str  # the formats, for messages
    unreadable: tuple[type[BaseException], ...]  # what Pillow raises on crafted files
    srgb: object  # the sRGB profile photos are converted to
    transpose: dict[int, object]  # EXIF orientation -> the turn that undoes it


@functools.cache
def _pillow() -> _Pillow:
    from PIL import features

    avif = features.check("avif")
    turns = Image.Transpose
    return _Pillow(
        ("JPEG", "PNG", "GIF", "WEBP") + (("AVIF",) if avif else ()),
        "JPEG, PNG, GIF, WebP or AVIF" if avif else "JPEG, PNG, GIF or WebP",
        (OSError, SyntaxError, ValueError, TypeError, IndexError, KeyError, EOFError,
         AttributeError, ZeroDivisionError, RuntimeError, struct.error, zlib.error,
         ImageCms.PyCMSError),
        ImageCms.createProfile("sRGB"),
        dict(zip(range(2, 9), (turns.FLIP_LEFT_RIGHT, turns.ROTATE_180, turns.FLIP_TOP_BOTTOM,
                               turns.TRANSPOSE, turns.ROTATE_270, turns.TRANSVERSE,
                               turns.ROTATE_90), strict=True)),
    )


class ImageProblem(ValueError):
    """A photo that cannot be used, with a reason meant for the article's author."""


@dataclass(frozen=True)
class Probe:
    width: int  # upright, after EXIF orientation
    height: int
    extension: str  # of the resized copies besides WebP; "" = used as it is (GIF, animations)
    format: str = ""  # JPEG, PNG, GIF, WEBP or AVIF
    animated: bool = False


_PROVEN: dict[tuple[str, bool], Probe] = {}  # by content digest: a photo shared by articles


def probe(path: Path, copies: bool = False, digest: str = "") -> Probe:
    """Size, format and kind of copies of an image proven to decode within the limits; with
    `copies` (a lead photo), one whose resized copies would cost too much is refused too.
    Given the file's content `digest`, content already proven in this process is not decoded
    again."""
    if digest and (known := _PROVEN.get((digest, copies))):
        return known
    found = _probe(path, copies)
    if digest:
        _PROVEN[(digest, copies)] = found
    return found


def _probe(path: Path, copies: bool) -> Probe:
    with _opened(path) as (image, handle):
        _admit(image, handle)
        kind, animated = _kind(image), _animated(image)
        if copies and not animated and kind != "GIF":
            _admit(image, handle, WIDTHS[-1])
        heavy = _memory(image, handle) > HEAVY_BYTES
        with budget.HEAVY if heavy else contextlib.nullcontext():
            return _checked(image, handle, kind, animated)


def _checked(image: Image.Image, handle, kind: str, animated: bool) -> Probe:
    """Decode the whole image (cheaply where the format allows), for `probe`."""
    width, height = image.size
    if kind == "JPEG":
        if (scans := _scans(handle)) > MAX_SCANS:  # each scan is a pass over the whole image
            raise ImageProblem(f"is a JPEG of {scans} scans; the limit is {MAX_SCANS} (save it "
                               "again as a baseline JPEG)")
        image.draft(image.mode, (_up(width, 8), _up(height, 8)))
        image.load()
    if kind == "PNG":
        _check_png(handle, still=not animated)
    if kind not in ("JPEG", "PNG") or animated:
        _check_frames(image)
    extension = "" if animated else RESIZABLE.get(kind, "")
    if kind == "AVIF" and not animated:
        extension = "png" if "A" in image.getbands() else "jpg"
    if _orientation(image.info.get("exif")) in TURNED:
        width, height = height, width
    return Probe(width, height, extension, kind, animated)


def _scans(handle) -> int:
    """Start-of-scan markers in a JPEG (0xFF inside scan data is always followed by 0x00, so a
    marker cannot hide there)."""
    position, count, tail = handle.tell(), 0, b""
    handle.seek(0)
    while chunk := handle.read(1 << 20):
        count += (tail + chunk).count(b"\xff\xda")
        tail = chunk[-1:]
    handle.seek(position)
    return count


def widths(original: int) -> tuple[int, ...]:
    """The widths to make of a photo `original` pixels wide: never wider than the source."""
    chosen = [w for w in WIDTHS if w < original]
    chosen.append(min(original, WIDTHS[-1]))
    return tuple(sorted(set(chosen)))


def make_variants(source: Path, digest: str, cache: Path, widths: tuple[int, ...],
                  extensions: tuple[str, ...]) -> dict[tuple[int, str], Path]:
    """The cached copy of `source` for every (width, extension), the missing ones made from one
    decode. Each is written to a temp file and renamed, so none is ever half-written; on a
    failure no new file at all remains."""
    if unknown := set(extensions) - {"jpg", "png", "webp"}:  # a caller's mistake, not the image's
        raise ValueError(f"copies cannot be made as {sorted(unknown)}")
    targets = {(w, e): cache / cached_name(digest, w, e) for w in widths for e in extensions}
    missing = {key: target for key, target in targets.items() if not _plain(target)}
    if not missing:
        return targets
    with _opened(source) as (image, handle):
        largest = max(w for w, _ in missing)
        _admit(image, handle, largest)
        top, upright = _decode(image, largest)
        encoded = {target: _encoded(_resized(top, upright, width), extension)
                   for (width, extension), target in sorted(missing.items(), reverse=True)}
    temps: list[str] = []
    try:
        cache.mkdir(parents=True, exist_ok=True)
        for target, data in encoded.items():
            fd, temp = tempfile.mkstemp(dir=cache, prefix=f".{target.name}.", suffix=".part")
            temps.append(temp)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        for temp, target in zip(temps, encoded, strict=True):
            os.replace(temp, target)
    except OSError as exc:
        raise ImageProblem(f"could not be saved in the build cache ({exc.strerror or exc})"
                           ) from None
    finally:
        for temp in temps:  # those not renamed: after a failure
            with contextlib.suppress(OSError):
                os.unlink(temp)
    return targets


def cached_name(digest: str, width: int, extension: str) -> str:
    """The file name of a copy in the image cache, which names its content too."""
    return f"{digest[:32]}-{width}.{extension}"


def _plain(path: Path) -> bool:
    """A regular file of the cache, not a link planted there (which would be copied into the
    site as if it were a photo's copy)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def variant(source: Path, width: int, extension: str, cache: Path, digest: str = "") -> Path:
    """One cached copy (see `make_variants`), for callers that still ask one at a time."""
    if not digest:
        with source.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
    return make_variants(source, digest, cache, (width,), (extension,))[(width, extension)]


@contextlib.contextmanager
def _opened(path: Path):
    """The image and its file, opened as one of `_Pillow.formats` only; every failure an
    ImageProblem."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise ImageProblem(f"cannot be read ({exc.strerror or exc})") from None
    with handle, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # corrupt EXIF and the like: metadata that is dropped
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        head = handle.read(4096)
        text = head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")
        if text and b"<svg" in head.lower():
            raise ImageProblem("is an SVG drawing, which can carry scripts; export it as PNG "
                               "or WebP")
        if (size := os.fstat(handle.fileno()).st_size) > MAX_BYTES:
            raise ImageProblem(f"is {size // 10**6} MB; the limit is {MAX_BYTES // 10**6} MB")
        try:
            handle.seek(0)
            with Image.open(handle, formats=_pillow().formats) as image:
                yield image, handle
        except Image.UnidentifiedImageError:
            kind = "it is text or HTML" if text else f"not {_pillow().kinds} data"
            raise ImageProblem(f"is not a readable image ({kind})") from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageProblem(f"is over {Image.MAX_IMAGE_PIXELS // 10**6} megapixels; the "
                               f"limit is {MAX_PIXELS // 10**6} megapixels") from None
        except MemoryError:
            raise ImageProblem("is too large to decode (out of memory)") from None
        except ImageProblem:
            raise
        except _pillow().unreadable as exc:
            raise ImageProblem(_unreadable(exc)) from None


def _unreadable(exc: BaseException) -> str:
    if isinstance(exc, (EOFError, struct.error)) or "truncated" in str(exc).lower():
        return "is not a readable image (truncated)"
    if isinstance(exc, zlib.error):
        return "is not a readable image (damaged compressed data)"
    return f"is not a readable image (damaged: {str(exc)[:80] or type(exc).__name__})"


def _kind(image: Image.Image) -> str:
    return "JPEG" if image.format == "MPO" else image.format  # MPO: JPEG with more pictures


def _animated(image: Image.Image) -> bool:
    return _kind(image) != "JPEG" and getattr(image, "is_animated", False)


def _admit(image: Image.Image, handle, largest: int = 0) -> None:
    """Refuse, from the header alone, what would take too long or too much memory to check
    (`largest` 0) or to make copies of up to `largest` pixels wide."""
    width, height = image.size
    if width < 1 or height < 1:
        raise ImageProblem("is not a readable image (it has no pixels)")
    if max(width, height) > MAX_SIDE:
        raise ImageProblem(f"is {width}×{height} pixels; the limit is {MAX_SIDE} pixels a side")
    if width * height > MAX_PIXELS:
        raise ImageProblem(f"is {width}×{height} pixels; the limit is "
                           f"{MAX_PIXELS // 10**6} megapixels")
    if (need := _memory(image, handle, largest)) > MEMORY_BUDGET:
        what = "to make its copies" if largest else "to decode"
        advice = " or as a baseline JPEG" if _kind(image) == "JPEG" else ""
        raise ImageProblem(f"would take about {need // 10**6} MB of memory {what}; the limit "
                           f"is {MEMORY_BUDGET // 10**6} MB (save it smaller{advice})")


def _memory(image: Image.Image, handle, largest: int = 0) -> int:
    """Peak bytes of proving the image decodes (`largest` 0) or of making copies up to
    `largest` wide: the decode, its reduced copy, the resize of that, the encoding."""
    width, height = image.size
    own = 0  # the peak of decoders with buffers of their own
    if image.format in ("WEBP", "AVIF") or (_animated(image) and not largest):
        own = width * height * DECODE_COST[image.format]
    if not largest and (own or _kind(image) != "JPEG"):  # a still PNG is streamed
        return own or (0 if image.format == "PNG" else width * height * BYTES.get(image.mode, 4))
    orientation, request, factor = (_plan(image, largest) if largest  # else: a JPEG's check
                                    else (1, (_up(width, 8), _up(height, 8)), 1))
    scale = _draft_scale(image.size, request) if request else 1
    decoded_w, decoded_h = _up(width, scale), _up(height, scale)
    decoded = decoded_w * decoded_h * BYTES.get(image.mode, 4)
    decoding = own or decoded + (_coefficients(image, handle) if request else 0)
    if not largest:
        return decoding
    reduced_w, reduced_h = _up(decoded_w, factor), _up(decoded_h, factor)
    mode = _working_mode(image)
    reduced = 4 * reduced_w * reduced_h
    copy = reduced if factor > 1 or mode != image.mode else 0
    upright_w, upright_h = (height, width) if orientation in TURNED else (width, height)
    out_w = min(largest, upright_w)
    out_h = max(1, round(upright_h * out_w / upright_w))
    first_pass = 4 * (out_h * reduced_w if orientation in TURNED else out_w * reduced_h)
    resizing = (copy or decoded) + reduced * ("A" in mode) + first_pass + 4 * out_w * out_h
    return max(decoding, decoded + copy, resizing, ENCODE_COST * out_w * out_h)


def _plan(image: Image.Image, largest: int) -> tuple[int, tuple[int, int] | None, int]:
    """How an image is read for copies up to `largest` wide: its EXIF orientation, the size to
    ask libjpeg for (JPEG only), and the box reduction after (to at least twice `largest`)."""
    orientation = _orientation(image.info.get("exif"))
    width, height = image.size
    upright = height if orientation in TURNED else width
    request, scale = None, 1
    if _kind(image) == "JPEG":
        ratio = min(1.0, largest / upright)
        request = max(1, math.ceil(width * ratio)), max(1, math.ceil(height * ratio))
        scale = _draft_scale(image.size, request)
    return orientation, request, max(1, _up(upright, scale) // (2 * largest))


def _draft_scale(size: tuple[int, int], request: tuple[int, int]) -> int:
    """The reduction libjpeg applies for `Image.draft(mode, request)`, chosen as Pillow does."""
    most = min(size[0] // request[0], size[1] // request[1])
    return next(s for s in (8, 4, 2, 1) if most >= s)


def _coefficients(image: Image.Image, handle) -> int:
    """Bytes of DCT coefficients libjpeg keeps for a whole JPEG (2 a sample) when it needs
    more than one pass: progressive, or a first scan without every component."""
    sampling = [(h, v) for _, h, v, _ in image.layer]
    h_max = max((h for h, _ in sampling), default=0) or 1  # 0: libjpeg refuses it on loading
    v_max = max((v for _, v in sampling), default=0) or 1
    if not image.info.get("progressive") and _first_scan_components(handle) >= len(sampling):
        return 0
    width, height = image.size
    return sum(128 * _up(width * h, 8 * h_max) * _up(height * v, 8 * v_max) for h, v in sampling)


def _first_scan_components(handle) -> int:
    """Components in a JPEG's first scan (0 when its markers cannot be followed)."""
    with contextlib.suppress(struct.error, OSError, IndexError):
        handle.seek(2)
        while True:
            marker, length = struct.unpack(">HH", handle.read(4))
            if marker == 0xFFDA:
                return handle.read(1)[0]
            if marker >> 8 != 0xFF or length < 2:
                return 0
            handle.seek(length - 2, os.SEEK_CUR)
    return 0


def _up(size: int, step: int) -> int:
    return -(-size // step)


def _check_png(handle, still: bool) -> None:
    """Prove a PNG is whole: each chunk's CRC and, for a still one (the frames of an animation
    are decoded by Pillow), a complete zlib stream of exactly the size its header implies with
    a valid filter type on every row. Keeps no pixels."""
    inflate, rows, pending, colour, palette = zlib.decompressobj(), iter(()), 0, -1, False

    def check_rows(out: bytes) -> None:  # the filter byte of each row that starts in `out`
        nonlocal pending
        while pending < len(out):
            if out[pending] > 4 or not (step := next(rows, 0)):
                raise ImageProblem("is not a readable image (damaged pixel data)")
            pending += step
        pending -= len(out)

    handle.seek(8)
    while True:
        length, kind = struct.unpack(">I4s", _read(handle, 8))
        crc, left = zlib.crc32(kind), length
        while left:
            piece = _read(handle, min(left, 1 << 20))
            left -= len(piece)
            crc = zlib.crc32(piece, crc)
            if kind == b"IHDR":
                width, height, bits, colour, _, _, laced = struct.unpack(">IIBBBBB", piece[:13])
                rows = _png_rows(width, height, bits * PNG_CHANNELS[colour], laced)
            palette = palette or (kind == b"PLTE" and length >= 3)
            if kind == b"IDAT" and still:
                if colour == 3 and not palette:
                    raise ImageProblem("is not a readable image (damaged: no palette)")
                while True:  # at most 1 MB out at a time: a small file may inflate to a lot
                    out = inflate.decompress(piece, 1 << 20)
                    check_rows(out)
                    piece = inflate.unconsumed_tail
                    if not piece and len(out) < 1 << 20:
                        break
        if struct.unpack(">I", _read(handle, 4))[0] != crc:
            raise ImageProblem(f"is not a readable image (damaged: bad checksum in "
                               f"{kind.decode('latin-1')!r})")
        if kind == b"IEND":
            break
    if still and (pending or next(rows, 0) or not inflate.eof):
        raise ImageProblem("is not a readable image (truncated)")


def _read(handle, size: int) -> bytes:
    data = handle.read(size)
    if len(data) < size:
        raise ImageProblem("is not a readable image (truncated)")
    return data


def _png_rows(width: int, height: int, bits: int, interlaced: int):
    """The length of each row of the inflated data, filter byte included, in order."""
    for x, y, dx, dy in ADAM7 if interlaced else ((0, 0, 1, 1),):
        columns, count = _up(width - x, dx), _up(height - y, dy)
        if columns > 0:
            yield from (1 + _up(columns * bits, 8) for _ in range(max(0, count)))


def _check_frames(image: Image.Image) -> None:
    """Decode every frame, within a bound on frames and on the pixels decoded in all."""
    width, height = image.size
    frames = 0
    while True:
        try:
            image.seek(frames)
        except EOFError:
            break
        frames += 1
        if frames > MAX_FRAMES or frames * width * height > MAX_FRAME_PIXELS:
            raise ImageProblem(f"is an animation too long to check (limits: {MAX_FRAMES} "
                               f"frames, {MAX_FRAME_PIXELS // 10**6} megapixels in all)")
        image.load()
    if image.format != "GIF" and frames < getattr(image, "n_frames", 1):
        raise ImageProblem("is not a readable image (truncated)")


def _orientation(exif: bytes | None) -> int:
    """The EXIF orientation (1-8) as browsers read it; 1 when absent or unreadable. (A PNG's
    eXIf after its pixels is ignored, as by browsers and Pillow's header reading.)"""
    if not exif:
        return 1
    try:
        value = Image.Exif()
        value.load(exif)
        value = value.get(0x0112, 1)
    except _pillow().unreadable:
        return 1
    return value if value in _pillow().transpose else 1


def _decode(image: Image.Image, largest: int) -> tuple[Image.Image, tuple[int, int]]:
    """The source decoded once, as small as copies `largest` wide allow (see `_plan`), as an
    upright sRGB copy at most `largest` wide without metadata; and the source's upright size."""
    orientation, request, factor = _plan(image, largest)
    width, height = image.size
    upright = (height, width) if orientation in TURNED else (width, height)
    if request:
        image.draft(image.mode, request)
    image.load()
    picture = _shrink(image, factor)  # may be `image` itself: use within its `_opened`
    out_w = min(largest, upright[0])
    out_h = max(1, round(upright[1] * out_w / upright[0]))
    size = (out_h, out_w) if orientation in TURNED else (out_w, out_h)
    if picture.size != size:
        resized = picture.resize(size, Image.Resampling.LANCZOS)
        picture.close()  # free the large one before the copies are encoded
        picture = resized
    if turn := _pillow().transpose.get(orientation):
        picture = picture.transpose(turn)
    picture.info = {}
    return picture, upright


def _shrink(image: Image.Image, factor: int) -> Image.Image:
    """Reduce by `factor`, convert to sRGB and a mode copies can be made from, a band at a time:
    only the decoded source and the (smaller) result are ever whole in memory."""
    mode, transform = _working_mode(image), None
    if (icc := image.info.get("icc_profile")) and image.mode in ("RGB", "RGBA", "CMYK"):
        with contextlib.suppress(ImageCms.PyCMSError, OSError, ValueError, TypeError):
            transform = ImageCms.buildTransform(ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                                                _pillow().srgb, image.mode, mode)
    if factor == 1 and mode == image.mode:
        if transform:
            ImageCms.applyTransform(image, transform, inPlace=True)
        return image
    width, height = image.size
    result = Image.new(mode, (_up(width, factor), _up(height, factor)))
    band = factor * max(1, BAND_PIXELS // (width * factor))
    for top in range(0, height, band):
        piece = image.crop((0, top, width, min(height, top + band)))
        if transform:
            piece = ImageCms.applyTransform(piece, transform)
        if piece.mode.startswith("I;16"):
            piece = piece.point(lambda v: v / 256, "L")  # convert() would clip, not scale
        piece = piece.convert(mode) if piece.mode != mode else piece
        result.paste(piece.reduce(factor) if factor > 1 else piece, (0, top // factor))
    image.close()  # free the decoded source before the copies are made
    return result


def _working_mode(image: Image.Image) -> str:
    """Grey or RGB, with alpha when the source has some: what every copy can be made from."""
    if image.mode in ("L", "LA", "RGB", "RGBA"):
        return image.mode
    if image.mode == "1" or image.mode.startswith("I;16"):
        return "L"
    alpha = "A" in image.getbands() or "transparency" in image.info
    alpha = alpha or getattr(image.palette, "mode", "") == "RGBA"
    return "RGBA" if alpha else "RGB"


def _resized(top: Image.Image, upright: tuple[int, int], width: int) -> Image.Image:
    """The copy `width` pixels wide (never enlarged) of the largest copy, `top`."""
    width = min(width, upright[0])
    size = (width, max(1, round(upright[1] * width / upright[0])))
    return top if top.size == size else top.resize(size, Image.Resampling.LANCZOS)


def _encoded(image: Image.Image, extension: str) -> bytes:
    out = io.BytesIO()
    if extension == "jpg":
        image.convert("RGB").save(out, "JPEG", quality=QUALITY, optimize=True, progressive=True)
    elif extension == "png":
        image.save(out, "PNG", optimize=True)
    else:  # webp
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        image.save(out, "WEBP", quality=QUALITY, method=4)
    return out.getvalue()
