"""sha256 of a file, read in chunks."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from segmentation.files import sha256_file


@pytest.mark.parametrize("size", [0, 1, (1 << 20) + 3])  # empty, tiny, over one 1 MiB chunk
def test_sha256_of_a_file_is_that_of_its_bytes(tmp_path: Path, size: int) -> None:
    content = bytes(i % 251 for i in range(size))
    path = tmp_path / "f.bin"
    path.write_bytes(content)
    assert sha256_file(path) == hashlib.sha256(content).hexdigest()


def test_the_empty_file_has_the_well_known_digest(tmp_path: Path) -> None:
    (tmp_path / "empty").write_bytes(b"")
    assert sha256_file(tmp_path / "empty") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
