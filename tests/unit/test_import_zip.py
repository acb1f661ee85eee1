"""Zipped bundles: one folder or the root; unsafe entry paths (zip slip) are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfo.errors import BundleInvalid
from sfo.importers import load_bundle
from tests.factories import minimal_bundle_rows, write_bundle, zip_bundle


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write_bundle(tmp_path / "b", minimal_bundle_rows())


@pytest.mark.parametrize("inner", ["bundle", None])
def test_zip_with_one_folder_or_files_at_the_root_is_read(tmp_path: Path, folder: Path,
                                                          inner: str | None) -> None:
    archive = zip_bundle(folder, tmp_path / "b.zip", folder=inner)
    records = load_bundle(archive)
    assert len(records.contacts) == 4
    assert records.source == str(archive)
    assert records.supplied == frozenset(minimal_bundle_rows())


@pytest.mark.parametrize("name", ["../evil.csv", "bundle/../../evil.csv", "/etc/evil.csv",
                                  "C:/evil.csv", "..\\evil.csv"])
def test_zip_entries_leading_outside_the_bundle_are_refused(tmp_path: Path, folder: Path,
                                                            name: str) -> None:
    archive = zip_bundle(folder, tmp_path / "b.zip", extra={name: b"x"})
    with pytest.raises(BundleInvalid) as err:
        load_bundle(archive)
    assert "leads outside the bundle" in str(err.value)
    assert repr(name) in str(err.value)


def test_zip_with_two_top_level_folders_is_refused(tmp_path: Path, folder: Path) -> None:
    archive = zip_bundle(folder, tmp_path / "b.zip", extra={"other/people.csv": b"crn\n"})
    with pytest.raises(BundleInvalid, match="2 top-level folders"):
        load_bundle(archive)


def test_unknown_files_in_a_zip_are_ignored_with_a_warning(tmp_path: Path,
                                                           folder: Path) -> None:
    archive = zip_bundle(folder, tmp_path / "b.zip",
                         extra={"bundle/readme.txt": b"hello", "__MACOSX/bundle/._x": b""})
    records = load_bundle(archive)
    assert records.warnings == ("bundle/readme.txt: file ignored (not part of the data contract)",)


def test_a_file_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "b.zip"
    bogus.write_bytes(b"not a zip")
    with pytest.raises(BundleInvalid, match=r"is not a folder or a \.zip file"):
        load_bundle(bogus)


def test_a_zip_that_unpacks_past_the_limit_is_refused(tmp_path: Path, folder: Path) -> None:
    # 2 MB of blank lines (skipped on reading) compress to a few KB: the limit is
    # on what the zip unpacks to, not on its own size.
    with (folder / "contacts.csv").open("a") as f:
        f.write("\n" * (2 << 20))
    archive = zip_bundle(folder, tmp_path / "b.zip")
    assert archive.stat().st_size < 100_000
    with pytest.raises(BundleInvalid, match="unpacks to more than 1 MB"):
        load_bundle(archive, max_unzipped_mb=1)
    assert len(load_bundle(archive, max_unzipped_mb=3).contacts) == 4



def test_a_zip_whose_header_understates_a_size_is_refused_not_read_past(
        tmp_path: Path, folder: Path) -> None:
    import struct

    archive = zip_bundle(folder, tmp_path / "b.zip", folder=None)
    data = bytearray(archive.read_bytes())
    # Claim contacts.csv unpacks to 10 bytes, in its local and central headers.
    for sig, name_len_at, name_at, size_at in ((b"PK\x03\x04", 26, 30, 22),
                                               (b"PK\x01\x02", 28, 46, 24)):
        at = data.find(sig)
        while at >= 0:
            n = struct.unpack_from("<H", data, at + name_len_at)[0]
            if bytes(data[at + name_at:at + name_at + n]) == b"contacts.csv":
                struct.pack_into("<I", data, at + size_at, 10)
            at = data.find(sig, at + 4)
    archive.write_bytes(bytes(data))
    with pytest.raises(BundleInvalid, match=r"could not be read as a \.zip file"):
        load_bundle(archive)
