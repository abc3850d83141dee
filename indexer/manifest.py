"""An optional manifest beside the corpus: where each report file came from, and metadata that wins over inference.

``urls.csv`` (header ``path,url[,publish_date][,accessed][,title][,issuer]``) or ``urls.jsonl`` (one object per
line with the same keys) in the corpus folder's root. ``path`` is relative to the corpus folder; ``url`` is the
report's original address (http or https); dates are ISO (``2025-02-28``; ``2025年2月28日`` is read too).
A bad row is reported with the file and line and left out; the other rows and the whole index stay.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from indexer.metadata import parse_date

MANIFEST_NAMES: tuple[str, ...] = ("urls.csv", "urls.jsonl")
"""Manifest files read from the corpus root (both, when both are there)."""

COLUMNS: tuple[str, ...] = ("path", "url", "publish_date", "accessed", "title", "issuer")


@dataclass(frozen=True)
class ManifestEntry:
    """What the manifest says about one report file; a column left empty says nothing."""

    url: str | None = None
    publish_date: str | None = None
    accessed: str | None = None
    title: str | None = None
    issuer: str | None = None

    def fingerprint(self) -> str:
        """A short hash of the row: stored with the file, so that a changed row re-reads it."""
        return hashlib.sha1(json.dumps(asdict(self), ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:12]


@dataclass
class Manifest:
    entries: dict[str, ManifestEntry] = field(default_factory=dict)  # corpus-relative path -> entry
    errors: list[tuple[str, str]] = field(default_factory=list)  # ("urls.csv:3", why): rows left out
    lines: dict[str, str] = field(default_factory=dict)  # corpus-relative path -> "urls.csv:3", where it is given


class RowError(ValueError):
    """One manifest row that cannot be used; the message says why."""


def normalise_path(path: str) -> str:
    """A manifest path as the indexer names files: relative, forward slashes, no ``./``.

    >>> normalise_path("./2024\\\\长治.txt")
    '2024/长治.txt'
    """
    text = path.strip().replace("\\", "/")
    parts = [p for p in PurePosixPath(text).parts if p not in (".", "")]
    if not parts or text.startswith("/") or ".." in parts:
        raise RowError(f"path {path!r} must be relative to the corpus folder")
    return "/".join(parts)


def check_url(url: str) -> str:
    """An absolute http(s) address, or :class:`RowError`.

    >>> check_url(" https://www.yuelu.gov.cn/a.html ")
    'https://www.yuelu.gov.cn/a.html'
    """
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in text):
        raise RowError(f"url {url!r} is not an http(s) address")
    return text


def _date(row: dict, key: str) -> str | None:
    value = (row.get(key) or "").strip()
    if not value:
        return None
    found = parse_date(value)
    if not found:
        raise RowError(f"{key} {value!r} is not a date (write it as YYYY-MM-DD)")
    return found


def parse_row(row: dict) -> tuple[str, ManifestEntry]:
    """One manifest row (column → text) as (path, entry), or :class:`RowError`."""
    unknown = sorted(k for k in row if k not in COLUMNS and k is not None)
    if unknown:
        raise RowError(f"unknown column(s) {', '.join(unknown)} (columns: {', '.join(COLUMNS)})")
    if not isinstance(row.get("path"), str) or not row["path"].strip():
        raise RowError("no path")
    for key, value in row.items():
        if value is not None and not isinstance(value, str):
            raise RowError(f"{key} must be text, not {type(value).__name__}")
    path = normalise_path(row["path"])
    url = (row.get("url") or "").strip()
    entry = ManifestEntry(
        url=check_url(url) if url else None,
        publish_date=_date(row, "publish_date"),
        accessed=_date(row, "accessed"),
        title=(row.get("title") or "").strip() or None,
        issuer=(row.get("issuer") or "").strip() or None,
    )
    if entry == ManifestEntry():
        raise RowError("the row gives nothing but a path")
    return path, entry


def _rows_csv(text: str, name: str):
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    if "path" not in header:
        raise RowError(f"{name} needs a header line naming its columns: {','.join(COLUMNS)}")
    for row in reader:
        if None in row:
            yield reader.line_num, RowError(f"more cells than the header's {len(header)} columns")
            continue
        yield reader.line_num, row


def _rows_jsonl(text: str):
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            yield n, RowError(f"not JSON ({e.msg})")
            continue
        yield n, row if isinstance(row, dict) else RowError("a line must be a JSON object")


def read_manifest(corpus_dir: Path) -> Manifest:
    """The manifest(s) in the corpus root; none there gives an empty :class:`Manifest`.

    A path given twice keeps its first row; the second is reported, as is every row that cannot be read.
    """
    manifest = Manifest()
    for name in MANIFEST_NAMES:
        path = Path(corpus_dir) / name
        if not path.is_file():
            continue
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError) as e:
            manifest.errors.append((name, f"manifest cannot be read ({e}); save it as UTF-8"))
            continue
        try:
            rows = list(_rows_csv(text, name) if name.endswith(".csv") else _rows_jsonl(text))
        except RowError as e:
            manifest.errors.append((f"{name}:1", str(e)))
            continue
        except csv.Error as e:
            manifest.errors.append((name, f"manifest is not valid CSV ({e})"))
            continue
        for line, row in rows:
            where = f"{name}:{line}"
            try:
                if isinstance(row, RowError):
                    raise row
                rel, entry = parse_row(row)
            except RowError as e:
                manifest.errors.append((where, f"manifest row left out: {e}"))
                continue
            if rel in manifest.entries:
                manifest.errors.append((where, f"manifest row left out: {rel} is already given on an earlier row"))
                continue
            manifest.entries[rel] = entry
            manifest.lines[rel] = where
    return manifest
