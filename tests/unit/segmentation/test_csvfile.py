"""The byte-level CSV reading: record lines as an editor shows them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64])
def test_record_lines_are_the_same_whatever_the_chunk_size(
    tmp_path: Path, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small chunks put every quote, CR and line break on a chunk's edge at least once."""
    from segmentation import csvfile

    content = (
        b'h1,h2\r\n\r\n"a\r\nb",1\r\n\r\n"x""",2\r\n"",""\r\n\r\n3,"4\n\n5"\r\n6,7\r\n\r\n"8",9'
        b'\r\n"c,d","e\r\n"\r\n,\r\n'
    )
    path = tmp_path / "edges.csv"
    path.write_bytes(content)
    exact = csvfile.record_lines_by_reading(path, ",").tolist()
    monkeypatch.setattr(csvfile, "CHUNK_BYTES", chunk)
    assert csvfile._record_lines(path, ",").tolist() == exact == [3, 6, 7, 9, 12, 14, 15, 17]


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ("a,b\n".encode("utf-16"), "UTF-16 (little-endian)"),  # with its BOM
        ("a,b\n1,2\n".encode("utf-16-le"), "UTF-16 (little-endian)"),  # without one: from the NUL bytes
        ("a,b\n1,2\n".encode("utf-16-be"), "UTF-16 (big-endian)"),
        ("a,b\n1,2\n".encode("utf-32-le"), "UTF-32 (little-endian)"),
        ("a,b\n1,2\n".encode("utf-32-be"), "UTF-32 (big-endian)"),
        (b"CustomerID,Gender\n1,Male\n", None),
        ("Kund,Geschlecht,Größe\n".encode(), None),
        (b"ab", None),  # too short to tell
    ],
)
def test_wide_encodings_are_recognised(head: bytes, expected: str | None) -> None:
    from segmentation.csvfile import wide_encoding

    assert wide_encoding(head) == expected


@pytest.mark.parametrize(
    ("line", "delimiter"),
    [("a,b,c", ","), ("a;b;c", ";"), ("a\tb\tc", "\t"), ('"x;y",b,c', ","), ("a;b,c;d", ";"), ("abc", ",")],
)
def test_the_delimiter_splitting_most_fields_wins_and_quotes_are_respected(line: str, delimiter: str) -> None:
    from segmentation.csvfile import detect_fields_delimiter

    assert detect_fields_delimiter(line) == delimiter


def test_an_undecodable_name_is_shown_escaped_and_found_again(tmp_path: Path) -> None:
    import os

    from segmentation.csvfile import path_from_parameter, path_parameter, readable_name, shown

    name = os.fsdecode(b"caf\xe9.csv")
    (tmp_path / name).write_text("x")
    text = path_parameter(str(tmp_path / name))
    assert text == f"{tmp_path}/caf\\xe9.csv" == shown(tmp_path / name)
    assert path_from_parameter(text) == str(tmp_path / name)
    assert path_from_parameter(str(tmp_path / "plain.csv")) == str(tmp_path / "plain.csv")
    assert not readable_name(tmp_path / name)
    assert readable_name(tmp_path / "café.csv")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\n\nCustomerID\n", "line 1 is blank; the header must be the first line"),
        (b"Customer\x01ID,Gender\n1,Male\n", "line 1 (the header) holds the control character '\\x01'"),
        ("a,b\n".encode("utf-16"), "the file is UTF-16 (little-endian) text, not UTF-8; save it as UTF-8"),
    ],
)
def test_a_header_that_cannot_be_read_is_refused_with_the_reason(tmp_path: Path, content: bytes, message: str) -> None:
    from segmentation.csvfile import read_first_record
    from segmentation.errors import InputFileError

    path = tmp_path / "h.csv"
    path.write_bytes(content)
    with pytest.raises(InputFileError, match=re.escape(message)):
        read_first_record(path, None)


def test_the_first_record_may_span_lines_in_quotes_and_a_bom_is_dropped(tmp_path: Path) -> None:
    from segmentation.csvfile import read_first_record

    path = tmp_path / "h.csv"
    path.write_bytes(b'\xef\xbb\xbf"Income, k$";Gender;Age\n1;Male;3\n')
    assert read_first_record(path, None) == (["Income, k$", "Gender", "Age"], ";")  # the quoted comma is text
    path.write_bytes(b'"Customer\nID";Gender;Age\n1;Male;3\n')
    assert read_first_record(path, ";") == (["Customer\nID", "Gender", "Age"], ";")
