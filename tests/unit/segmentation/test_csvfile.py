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


@pytest.mark.parametrize(
    ("content", "delimiter", "found"),
    [
        (b"a,b\n1,2\n3,4\n", ",", {"line_endings": "LF"}),
        (b"a,b\r\n1,2\r\n", ",", {"line_endings": "CRLF"}),
        (b"a,b\r1,2\r", ",", {"line_endings": "CR"}),
        (b"a,b\n1,2\r\n", ",", {"line_endings": "mixed"}),
        (b"a,b\n1,2,\n3,4\n", ",", {"ends_with_delimiter": True}),
        (b"a,b\r\n1,2,\r\n3,4\r\n", ",", {"ends_with_delimiter": True}),
        (b"a,b\n1,2\n3,4,", ",", {"ends_with_delimiter": True}),  # the last line, without a line break
        (b"a,b,\n1,2,3\n", ",", {"ends_with_delimiter": False}),  # the header's own delimiter is its business
        (b"a,b\n1,2\n\n3,4\n", ",", {"blank_lines": True}),
        (b"a,b\r\n1,2\r\n\r\n3,4\r\n", ",", {"blank_lines": True}),
        (b"a,b\n1,\x002\n", ",", {"controls": True}),
        (b"a\tb\n1\t2\n", "\t", {"controls": False}),  # the tab delimiter is no control character
        (b"a,b\n1\t,2\n", ",", {"controls": True}),  # a tab inside a value is one
        (b"a,b\n1_0,2\n", ",", {"underscores": True}),
        (b"a_b,c\n1,2\n", ",", {"underscores": False}),  # the header may say spending_score
        (b'a,b\n"1",2\n', ",", {"quotes": True}),
        ("a,b\nü,é\n".encode(), ",", {"controls": False, "blank_lines": False}),
    ],
)
@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 1 << 20])
def test_the_byte_pass_finds_the_same_whatever_the_chunk_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes, delimiter: str, found: dict, chunk: int
) -> None:
    """Every line break, CR and multi-byte character falls on a chunk's edge at some chunk size."""
    from segmentation import csvfile

    path = tmp_path / "scan.csv"
    path.write_bytes(content)
    monkeypatch.setattr(csvfile, "CHUNK_BYTES", chunk)
    scan = csvfile._scan(path, delimiter.encode())
    assert {name: getattr(scan, name) for name in found} == found


@pytest.mark.parametrize("chunk", [1, 3, 1 << 20])
def test_the_byte_pass_names_the_line_of_a_byte_that_is_not_utf8(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    from segmentation import csvfile
    from segmentation.errors import InputFileError

    path = tmp_path / "scan.csv"
    path.write_bytes("a,b\nü,1\n2,x\xe9\n".encode("latin-1").replace(b"\xfc", "ü".encode()))
    monkeypatch.setattr(csvfile, "CHUNK_BYTES", chunk)
    with pytest.raises(InputFileError, match=r"line 3 is not UTF-8 text \(byte 0xe9, byte 4 of the line"):
        csvfile._scan(path, b",")
