"""Raw bytes -> text: BOMs honoured, UTF-8 first, a warned fallback, never NULs in the output."""

from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

from digest.errors import IngestError, display_path

# Bytes no text file holds (tab, line feed, vertical tab, form feed and carriage return are text).
_CONTROL_BYTES = bytes(byte for byte in range(32) if byte not in (9, 10, 11, 12, 13))


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
        head = raw[:4096]
        control = len(head) - len(head.translate(None, _CONTROL_BYTES))
        if control * 10 > len(head):
            first = next(i for i, byte in enumerate(head) if byte in _CONTROL_BYTES)
            raise IngestError(f"not text: control bytes from offset {first}",
                              path=path, hint="only text, HTML and Markdown articles can be ingested")
        repairs = [f"{display_path(path)}: removed {nul_count} NUL byte(s)"] if nul_count else []
        raw = raw.replace(b"\x00", b"") if nul_count else raw
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            # Text in a legacy encoding holds no control bytes; random binary data has one in ten,
            # just under the ratio above, and would be "decoded" as cp1252 garbage.
            stray = len(head) - len(head.translate(None, _CONTROL_BYTES[1:]))
            if stray >= 3 and stray * 100 > len(head):
                first = next(i for i, byte in enumerate(head) if byte in _CONTROL_BYTES[1:])
                raise IngestError(f"not text: control bytes from offset {first}", path=path,
                                  hint="only text, HTML and Markdown articles can be ingested") from None
            line = raw.count(b"\n", 0, error.start) + 1
            text = raw.decode("cp1252", errors="replace")
            repairs.append(f"{display_path(path)}:{line}: not valid UTF-8 (byte {error.start}); decoded as cp1252")
        warnings.extend(repairs)  # only for a file that is read: a refused one gets its error alone
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return unicodedata.normalize("NFC", text)
