"""Importers: a bundle of CSV files (and a header mapping) -> validated case records.

    load_bundle(path, *, mapping=None, progress=None) -> CaseRecords
    file_hashes(path) -> {file name: SHA-256}

raises :class:`sfo.errors.BundleInvalid` (every problem, with file, row and
column) or :class:`sfo.errors.MappingInvalid`; see docs/importing.md.
"""

from sfo.importers.bundle import file_hashes, load_bundle

__all__ = ["file_hashes", "load_bundle"]
