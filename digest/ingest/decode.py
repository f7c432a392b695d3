"""Raw bytes -> text: BOMs honoured, UTF-8 first, a warned fallback, never NULs in the output."""

from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

from digest.errors import IngestError


def decode_raw(raw: bytes, path: Path, warnings: list[str]) -> str:
    """Decode a raw article; append a warning for every guess or repair made."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError as error:
            raise IngestError(f"broken UTF-16 (byte {error.start})", path=path,
                              hint="save the file as UTF-8") from None
    else:
        nul_count = raw.count(b"\x00")
        if nul_count and nul_count * 4 >= len(raw):
            raise IngestError(
                f"looks like UTF-16 without a byte-order mark, or binary data (NUL byte at offset {raw.index(0)})",
                path=path,
                hint="save the file as UTF-8 text",
            )
        control = sum(1 for byte in raw[:4096] if byte < 9 or 13 < byte < 32)
        if control * 10 > min(len(raw), 4096):
            raise IngestError(f"not text: control bytes from offset {next(i for i, b in enumerate(raw) if b < 9)}",
                              path=path, hint="only text, HTML and Markdown articles can be ingested")
        if nul_count:
            warnings.append(f"{path}: removed {nul_count} NUL byte(s)")
            raw = raw.replace(b"\x00", b"")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = raw.count(b"\n", 0, error.start) + 1
            text = raw.decode("cp1252", errors="replace")
            warnings.append(f"{path}:{line}: not valid UTF-8 (byte {error.start}); decoded as cp1252")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return unicodedata.normalize("NFC", text)
