"""Loading a bundle (a folder or a .zip of CSV files) into validated case records.

All or nothing: every file is read and checked, every problem is collected
(the first 100 kept, all counted), and if there is any, one
:class:`~sfo.errors.BundleInvalid` is raised and nothing is returned.
See docs/importing.md for the rules.
"""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

import pyarrow as pa

from sfo.domain import records
from sfo.domain.records import TABLE_ORDER, TABLES, CaseRecords
from sfo.errors import BundleInvalid, NotFound, Problem
from sfo.importers import checks
from sfo.importers.codes import CodeLists, default_codes
from sfo.importers.csvfile import FileSource, read_csv
from sfo.importers.mapping import HeaderMapping, canonical_names, load_mapping
from sfo.importers.problems import ProblemLog
from sfo.importers.table import CheckedTable, TableChecker

Progress = Callable[[str], None]
_KNOWN = {spec.filename: name for name, spec in TABLES.items()}
_DRIVE = re.compile(r"^[A-Za-z]:")
# Left by macOS and Windows when zipping or browsing a folder: never data.
_NOISE = ("__MACOSX/", ".DS_Store", "Thumbs.db", "desktop.ini")
# A small zip may unpack to far more ("zip bomb"): past this, it is refused.
DEFAULT_MAX_UNZIPPED_MB = 4096


def load_bundle(path: str | os.PathLike[str], *, mapping: str | os.PathLike[str] | None = None,
                progress: Progress | None = None,
                max_unzipped_mb: int = DEFAULT_MAX_UNZIPPED_MB) -> CaseRecords:
    """Read, check and convert a bundle; raise BundleInvalid listing every problem."""
    source = str(path)
    header_mapping = load_mapping(mapping)
    log = ProblemLog()
    codes = default_codes()
    with _bundle_files(Path(path), log, max_unzipped_mb) as files:
        for name in TABLE_ORDER:
            spec = TABLES[name]
            if spec.required and spec.filename not in files:
                log.add(spec.filename, None, None,
                        "is missing: a bundle needs people.csv and contacts.csv")
        tables = _read_tables(files, header_mapping, codes, log, progress)
    try:
        checks.check_bundle(tables, log)
    except (pa.ArrowException, ValueError, OverflowError) as exc:
        log.add(Path(source).name, None, None, f"could not be cross-checked ({exc})")
    if log:
        raise BundleInvalid(_in_reading_order(log.problems), total=log.total, source=source)
    frames = {name: (tables[name].frame() if name in tables else records.empty_table(name))
              for name in TABLE_ORDER}
    warnings = list(log.warnings)
    if mapping is not None and Path(mapping).resolve().parent == Path(path).resolve():
        # The mapping file kept inside the bundle folder was used: say nothing of it.
        name = Path(mapping).name
        warnings = [w for w in warnings if not w.startswith(f"{name}: ignored")]
    return CaseRecords(frames, frozenset(tables), source=source, warnings=tuple(warnings))


def file_hashes(path: str | os.PathLike[str], *,
                max_unzipped_mb: int = DEFAULT_MAX_UNZIPPED_MB) -> dict[str, str]:
    """The SHA-256 of each contract file of a bundle (a folder's files or a zip's entries).

    Keyed by the contract's file name (``people.csv``), for the files
    :func:`load_bundle` reads from the same path; the same files give the same
    hashes whether they are in a folder or a zip.
    """
    with _bundle_files(Path(path), ProblemLog(), max_unzipped_mb) as files:
        return {name: _sha256(source) for name, source in sorted(files.items())}


def _sha256(source: FileSource) -> str:
    if source.data is not None:
        return hashlib.sha256(source.data).hexdigest()
    assert source.path is not None
    with source.path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _in_reading_order(problems: list[Problem]) -> list[Problem]:
    """Problems file by file (in contract order), then row by row, as a person would fix them."""
    order = {TABLES[name].filename: i for i, name in enumerate(TABLE_ORDER)}
    return sorted(problems, key=lambda p: (order.get(p.file, len(order)), p.row or 0))


def _read_tables(files: dict[str, FileSource], mapping: HeaderMapping, codes: CodeLists,
                 log: ProblemLog, progress: Progress | None) -> dict[str, CheckedTable]:
    tables: dict[str, CheckedTable] = {}
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as executor:
        for name in TABLE_ORDER:
            spec = TABLES[name]
            file = files.get(spec.filename)
            if file is None:
                continue
            if progress is not None:
                progress(f"Reading {spec.filename}")
            raw = read_csv(file, log)
            if raw is None:
                continue
            names = canonical_names(raw.header, name, mapping)
            try:
                checked = TableChecker(spec, raw, names, log, codes, executor).run()
            except (pa.ArrowException, ValueError, OverflowError) as exc:
                # Input the checks did not foresee: still a precise refusal.
                log.add(spec.filename, None, None, f"could not be checked ({exc})")
                continue
            if checked is not None:
                tables[name] = checked
    return tables


# ---------------------------------------------------------------- finding the files


@contextmanager
def _bundle_files(path: Path, log: ProblemLog,
                  max_unzipped_mb: int) -> Iterator[dict[str, FileSource]]:
    """The bundle's known files by name; unknown files are warned about and ignored."""
    if not path.exists():
        raise NotFound(f"The bundle {path} does not exist.")
    if path.is_dir():
        yield _folder_files(path, log)
    elif zipfile.is_zipfile(path):
        yield _zip_files(path, log, max_unzipped_mb * 1024 * 1024)
    else:
        raise BundleInvalid(
            [Problem(path.name, None, None, "is not a folder or a .zip file")], source=str(path)
        )


def _folder_files(folder: Path, log: ProblemLog) -> dict[str, FileSource]:
    entries = sorted(p for p in folder.iterdir() if p.name not in _NOISE)
    dirs = [p for p in entries if p.is_dir()]
    if not any(p.is_file() and p.suffix.lower() == ".csv" for p in entries) and len(dirs) == 1:
        # A folder holding the bundle's folder (as unzipping often leaves it).
        return _folder_files(dirs[0], log)
    files: dict[str, FileSource] = {}
    for entry in entries:
        known = _KNOWN.get(entry.name.lower()) if entry.is_file() else None
        if known is None:
            log.warn(_ignored(entry.name, entry.is_dir()))
            continue
        filename = TABLES[known].filename
        if filename in files:
            log.add(entry.name, None, None, f"the bundle holds more than one {filename}")
            continue
        files[filename] = FileSource(filename, path=entry)
    return files


def _zip_files(path: Path, log: ProblemLog, budget: int) -> dict[str, FileSource]:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            for member in members:
                _refuse_unsafe(path, member.filename)
            members = [m for m in members
                       if not any(m.filename.startswith(n) or m.filename.endswith("/" + n)
                                  or m.filename == n for n in _NOISE)]
            prefix = _zip_root(path, [m.filename for m in members])
            files: dict[str, FileSource] = {}
            left = budget
            for member in members:
                inner = member.filename[len(prefix):]
                known = _KNOWN.get(inner.lower()) if "/" not in inner else None
                if known is None:
                    log.warn(_ignored(member.filename, False))
                    continue
                filename = TABLES[known].filename
                if filename in files:
                    log.add(member.filename, None, None,
                            f"the bundle holds more than one {filename}")
                    continue
                data = _read_member(path, archive, member, left, budget)
                left -= len(data)
                files[filename] = FileSource(filename, data=data)
            return files
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError) as exc:
        raise BundleInvalid(
            [Problem(path.name, None, None, f"could not be read as a .zip file ({exc})")],
            source=str(path),
        ) from None


def _read_member(path: Path, archive: zipfile.ZipFile, member: zipfile.ZipInfo, left: int,
                 budget: int) -> bytes:
    """One entry's bytes, refusing the zip if they would pass what is left of the budget."""
    # zipfile never returns more than the size an entry declares (a lying header
    # ends in a CRC error), so the declared size bounds what is unpacked.
    if member.file_size > left:
        _refuse_large(path, budget)
    return archive.read(member)


def _refuse_large(path: Path, budget: int) -> None:
    raise BundleInvalid(
        [Problem(path.name, None, None,
                 f"unpacks to more than {budget // (1024 * 1024):,} MB, the most the toolkit "
                 "unpacks (setting SFO_MAX_UNZIPPED_MB); unzip it and import the folder, or "
                 "raise the setting if the export really is that large")],
        source=str(path),
    )


def _ignored(name: str, folder: bool) -> str:
    if PurePosixPath(name).name.lower() == "mapping.toml":
        return (f"{name}: ignored; a mapping file is only used when it is given "
                "explicitly (--mapping)")
    what = "folder" if folder else "file"
    return f"{name}: {what} ignored (not part of the data contract)"


def _refuse_unsafe(path: Path, name: str) -> None:
    """Refuse a zip entry that would land outside the folder it is unpacked into."""
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or _DRIVE.match(name) or ".." in parts:
        raise BundleInvalid(
            [Problem(path.name, None, None,
                     f"holds an entry {name!r} whose path leads outside the bundle (absolute "
                     "or with '..'); such a zip is refused as unsafe. Zip the bundle folder "
                     "itself")],
            source=str(path),
        )


def _zip_root(path: Path, names: list[str]) -> str:
    """The folder inside the zip that holds the files ('' for the zip's root)."""
    if any("/" not in n for n in names) or not names:
        return ""
    tops = {n.split("/", 1)[0] for n in names}
    if len(tops) == 1:
        return f"{tops.pop()}/"
    raise BundleInvalid(
        [Problem(path.name, None, None,
                 f"holds {len(tops)} top-level folders ({', '.join(sorted(tops))}); a bundle "
                 "zip holds its files at the top or inside exactly one folder")],
        source=str(path),
    )
