"""Turning a file's bytes into text: byte-order marks first, then strict UTF-8, then a detector, never a silent guess.

Reports are saved in UTF-8, in GBK/GB18030 (Windows in China), in UTF-16 (Notepad's "Unicode"), sometimes in
Big5. Every GB* label is decoded as GB18030, the superset: a page that says gb2312 routinely holds GBK
characters. When the detector is not sure, or its answer does not read as Chinese, the file fails with a reason
rather than being indexed as mojibake.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from indexer.report_text import ReadError
from search.analysis import fold_char

_BOMS: tuple[tuple[bytes, str, str], ...] = (
    # UTF-32 first: its little-endian BOM starts with UTF-16's.
    (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32"),
    (codecs.BOM_UTF8, "utf-8", "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16"),
)

# What the detector may answer for a Chinese report, and the codec that decodes it.
_GB_NAMES = ("gb2312", "gbk", "gb18030", "cp936", "euc_cn", "euccn", "x-gbk", "hz")
_BIG5_NAMES = ("big5", "big5hkscs", "cp950", "big5-hkscs")
_UTF16_NAMES = (
    "utf_16",
    "utf_16_le",
    "utf_16_be",
    "utf-16",
    "utf-16le",
    "utf-16be",
    "utf_32",
    "utf_32_le",
    "utf_32_be",
)

_MAX_CHAOS = 0.2  # charset-normalizer's "mess" ratio above which its answer is a guess
_MIN_COMMON_HAN = 0.9  # share of Han characters that must be common (in GB2312) for a decoding to be right
_MIN_HAN = 0.2  # share of Han among the letters of a non-UTF-8 text: a Chinese report is mostly Han
MAX_REPLACED_SHARE = 0.01
"""A Chinese UTF-8 text with at most this share of bad bytes (or at most :data:`MAX_REPLACED_ANYWAY`) is read
with them replaced; with more it is not UTF-8. GBK text is almost all bad bytes as UTF-8, so the two never meet."""
MAX_REPLACED_ANYWAY = 16
_ESCAPED_RUN = re.compile("[\udc80-\udcff]+")


def canonical_codec(label: str) -> str | None:
    """The codec to decode a declared or detected charset label with (every GB* → ``gb18030``), or None if unknown.

    >>> canonical_codec("GB2312"), canonical_codec("utf8"), canonical_codec("x-unknown")
    ('gb18030', 'utf-8', None)
    """
    name = label.strip().strip("\"'").lower()
    if name in _GB_NAMES or name.replace("-", "").replace("_", "") in ("gb2312", "gbk", "gb18030", "cp936"):
        return "gb18030"
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    return "gb18030" if codec in ("gbk", "gb2312", "gb18030", "hz") else codec


def is_han(ch: str) -> bool:
    """Whether ``ch`` is a Chinese (Han) character.

    >>> [is_han(c) for c in "法a、"]
    [True, False, False]
    """
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\U00020000" <= ch <= "\U0002ebef"


def _common_han_share(text: str) -> float:
    """The share of Han characters GB2312 holds (in simplified form): near 1 for real Chinese, lower for mojibake."""
    han = [fold_char(c) for c in text if is_han(c)]
    if not han:
        return 0.0
    common = 0
    for c in han:
        try:
            c.encode("gb2312")  # a folded character may be several characters; all must be common
            common += 1
        except UnicodeEncodeError:
            pass
    return common / len(han)


def _han_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum(map(is_han, letters)) / len(letters) if letters else 0.0


def _control_share(text: str) -> float:
    bad = sum(1 for c in text if unicodedata.category(c) in ("Cc", "Co", "Cn") and c not in "\t\n\r\f\v")
    return bad / max(1, len(text))


def reads_as_chinese(text: str, codec: str) -> bool:
    """Whether ``text``, decoded with ``codec``, reads as a Chinese report rather than mojibake."""
    if _control_share(text) > 0.01:
        return False
    if _han_share(text) < _MIN_HAN:
        return False
    return _common_han_share(text) >= _MIN_COMMON_HAN


def decode_with(data: bytes, codec: str) -> str:
    """``data`` decoded strictly with ``codec``; :class:`ReadError` at the first bad byte."""
    try:
        return data.decode(codec)
    except UnicodeDecodeError as e:
        raise ReadError(f"not valid {codec.upper()} (byte {e.start})") from None


def decode_text(data: bytes) -> tuple[str, str]:
    """The text of a text file's bytes and the encoding it was in (``utf-8``, ``gb18030``, ``utf-16``, ``big5``).

    Raises :class:`ReadError` for binary data and for bytes whose encoding cannot be told with confidence.
    """
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            return decode_with(data[len(bom) :], codec), name
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        utf8_error = f"not valid UTF-8 (byte {e.start})"
    else:
        if "\x00" in text:
            return _detect(data, "holds NUL bytes")
        return text, "utf-8"
    return _detect(data, utf8_error)


def _detect(data: bytes, why_not_utf8: str) -> tuple[str, str]:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    binary = b"\x00" in data
    if best is None:
        if binary:
            raise ReadError("binary file, not text")
        raise ReadError(f"{why_not_utf8}, and no Chinese encoding fits: undecodable")
    detected = best.encoding.lower()
    if detected in _UTF16_NAMES:
        codec = detected.replace("_", "-")
        name = "utf-16" if "16" in codec else "utf-32"
    elif detected in _GB_NAMES:
        codec = name = "gb18030"
    elif detected in _BIG5_NAMES:
        codec, name = "big5hkscs", "big5"
    else:
        if binary:
            raise ReadError("binary file, not text")
        raise ReadError(f"{why_not_utf8}, and the bytes look like {detected}, not a Chinese encoding")
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as e:
        raise ReadError(f"{why_not_utf8}, nor valid {name.upper()} (byte {e.start}): undecodable") from None
    if best.chaos > _MAX_CHAOS or not reads_as_chinese(text, codec):
        if binary:
            raise ReadError("binary file, not text")
        raise ReadError(f"{why_not_utf8}, and read as {name.upper()} it is not Chinese text (mojibake)")
    return text, name


def repair_utf8(data: bytes) -> tuple[str, int] | None:
    """UTF-8 ``data`` with a few bad bytes: the text, each run of bad bytes shown as U+FFFD, and how many bytes
    were replaced; None when too many are bad (see :data:`MAX_REPLACED_SHARE`): then it is not UTF-8.

    >>> repair_utf8("法治".encode() + b"\\xff\\xfe" + "政府建设".encode() * 40)[1]
    2
    >>> repair_utf8("法治政府建设年度报告".encode("gbk")) is None
    True
    """
    text = data.decode("utf-8", "surrogateescape")  # each bad byte becomes one lone surrogate
    bad = sum(1 for m in _ESCAPED_RUN.finditer(text) for _ in m.group())
    if bad > max(MAX_REPLACED_ANYWAY, MAX_REPLACED_SHARE * len(data)):
        return None
    return _ESCAPED_RUN.sub("\ufffd", text), bad


def decode_report_text(data: bytes) -> tuple[str, str, int]:
    """:func:`decode_text`, except that a Chinese UTF-8 text with a few bad bytes is read with them replaced:
    the text, its encoding, and how many bytes were replaced (0 when none were).

    >>> decode_report_text("法治政府建设年度报告".encode() * 20 + b"\\xff")[1:]
    ('utf-8', 1)
    """
    body = data[len(codecs.BOM_UTF8) :] if data.startswith(codecs.BOM_UTF8) else data
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        repaired = repair_utf8(body)
        if repaired is not None:
            text, bad = repaired
            if "\x00" not in text and reads_as_chinese(text, "utf-8"):
                return text, "utf-8", bad
    text, encoding = decode_text(data)
    return text, encoding, 0
