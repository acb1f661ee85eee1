"""Deciding how a CSV file's bytes are to be read: UTF-8, or Excel's Windows-1252.

The importer first lets pyarrow read a file as UTF-8 (the fast path). Only
when that fails does it come here with the bytes: a file that is not valid
UTF-8 is read as Windows-1252 (what Excel's plain "CSV" format writes in
England and Wales) when that is certain to be right, and refused otherwise.
Nothing is ever guessed: a file is never mis-read.
"""

from __future__ import annotations

import re

UTF8_BOM = b"\xef\xbb\xbf"
# Bytes Windows-1252 leaves undefined: a file holding one is not cp1252.
CP1252_UNDEFINED = frozenset({0x81, 0x8D, 0x8F, 0x90, 0x9D})
# A well-formed multi-byte UTF-8 character: seeing one next to bytes that are
# not UTF-8 means the file mixes two encodings.
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
_SAVE_AS = "Open it in Excel and use Save As > 'CSV UTF-8 (Comma delimited)', then import again."


class EncodingRefused(Exception):
    """A file's bytes cannot be read with certainty; ``str()`` says why and what to do."""


def to_utf8(data: bytes, filename: str) -> tuple[bytes, str | None]:
    """UTF-8 bytes for the file, and a warning when it had to be read as Windows-1252.

    Raises :class:`EncodingRefused` when the file is neither valid UTF-8 nor
    certainly Windows-1252.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise EncodingRefused(
            f"{filename} is saved as UTF-16 ('Unicode text'), which cannot be read; "
            f"save it as CSV UTF-8. {_SAVE_AS}"
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start
    else:
        return data, None
    bad = data[offset]
    where = f"byte {offset} (0x{bad:02X})"
    if data.startswith(UTF8_BOM):
        raise EncodingRefused(
            f"{filename} starts with a UTF-8 marker but {where} is not valid UTF-8, so the "
            f"file is damaged or mixes encodings; save it as CSV UTF-8. {_SAVE_AS}"
        )
    if _UTF8_MULTIBYTE.search(data):
        raise EncodingRefused(
            f"{filename} mixes UTF-8 text with another encoding ({where} is not UTF-8), so "
            f"accented letters and symbols cannot be read with certainty; save it as CSV "
            f"UTF-8. {_SAVE_AS}"
        )
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        undefined = data[exc.start]
        raise EncodingRefused(
            f"{filename} is not UTF-8 ({where} is not valid UTF-8) and is not Windows-1252 "
            f"either (byte {exc.start} is 0x{undefined:02X}, which Windows-1252 does not "
            f"define), so it cannot be read with certainty; save it as CSV UTF-8. {_SAVE_AS}"
        ) from None
    warning = (
        f"{filename} is not UTF-8 ({where} is not valid UTF-8); it was read as Windows-1252, "
        "the encoding Excel uses for plain 'CSV'. Check that names with accents and symbols "
        "such as £ look right, or save the file as CSV UTF-8."
    )
    return text.encode("utf-8"), warning

