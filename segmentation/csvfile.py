"""A delimited text file, byte by byte: what DuckDB's CSV reader does not check or cannot say.

Nothing here knows a contract: every function takes a path and a delimiter, so any source
(customers, orders, ...) reads its file through the same door:

- `shown(path)`: a path as a message can print it, whatever bytes Linux allowed in its name.
- `check_text_encoding(path)`: UTF-16/32 (with or without a BOM) refused at once, with a hint.
- `read_first_record(path, delimiter)`: the header's fields, whatever the line endings.
- `prepare_csv(path, delimiter)`: one pass over every byte (UTF-8 everywhere, line endings,
  blank lines, quoted line breaks, rows ending in a delimiter), and what DuckDB should read:
  the file itself (LF or CRLF, the fast path) or a copy with LF endings (CR or mixed endings,
  which DuckDB's reader refuses); plus, when records and lines differ, the line of each record.
- `record_problems(path, delimiter)`: the exact check, record by record (Python's csv): the
  first rows whose field count differs from the header's, with the line an editor shows and
  the real count, or a quote that never closes. Slow (about a million rows a second), so it
  runs only when DuckDB refused the file or the fast pass saw a row ending in a delimiter.

Lines are counted as a text editor counts them: LF, CRLF and a lone CR each end one line; a
blank line and a line break inside a quoted field each count.
"""

from __future__ import annotations

import codecs
import csv
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from segmentation.errors import InputFileError

if TYPE_CHECKING:
    import pyarrow as pa

CHUNK_BYTES = 8 << 20
SNIFF_BYTES = 1 << 16
SHOWN_CHARS = 120
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32 (little-endian)"),
    (codecs.BOM_UTF32_BE, "UTF-32 (big-endian)"),
    (codecs.BOM_UTF16_LE, "UTF-16 (little-endian)"),
    (codecs.BOM_UTF16_BE, "UTF-16 (big-endian)"),
)
RESAVE = "save it as UTF-8 (in Excel: Save As > CSV UTF-8; in LibreOffice: Character set Unicode (UTF-8))"


def shown(path: str | os.PathLike[str]) -> str:
    """The path for a message: undecodable bytes of a Linux file name as `\\xe9`, never a crash."""
    raw = os.fsencode(path)
    return raw.decode("utf-8", errors="backslashreplace")


def path_parameter(path: str) -> str:
    """A path as a Prefect parameter (JSON: UTF-8 only): undecodable name bytes as `\\xe9`."""
    return shown(path)


def path_from_parameter(text: str) -> str:
    """The path `path_parameter` gave: `\\xe9` back to its byte when only that names a file."""
    if "\\x" not in text or os.path.lexists(text):
        return text
    raw = re.sub(rb"\\x([0-9a-fA-F]{2})", lambda m: bytes([int(m[1], 16)]), text.encode("utf-8"))
    return os.fsdecode(raw)


def readable_name(path: str | os.PathLike[str]) -> bool:
    """Whether the path's name is valid UTF-8, so DuckDB and Arrow (which take text) can open it."""
    try:
        os.fsencode(path).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def wide_encoding(head: bytes) -> str | None:
    """UTF-16 or UTF-32, from a BOM or from the NUL bytes that ASCII text has in those encodings."""
    for bom, name in _WIDE_BOMS:
        if head.startswith(bom):
            return name
    sample = head[: len(head) - len(head) % 4]
    if len(sample) < 4 or sample.count(0) < len(sample) // 4:
        return None
    zeros = [sample[i::4].count(0) for i in range(4)]
    quarter = len(sample) // 4
    if zeros[1] == zeros[2] == zeros[3] == quarter and zeros[0] < quarter:
        return "UTF-32 (little-endian)"
    if zeros[0] == zeros[1] == zeros[2] == quarter and zeros[3] < quarter:
        return "UTF-32 (big-endian)"
    odd, even = sample[1::2].count(0), sample[0::2].count(0)
    half = len(sample) // 2
    if odd > 0.9 * half and even < 0.1 * half:
        return "UTF-16 (little-endian)"
    if even > 0.9 * half and odd < 0.1 * half:
        return "UTF-16 (big-endian)"
    return None


def check_text_encoding(path: Path) -> None:
    """Refuse a file in UTF-16 or UTF-32 (a common "Unicode text" export), reading 64 KB of it.

    Raises:
        InputFileError: naming the encoding found and how to re-save the file.
    """
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    found = wide_encoding(head)
    if found:
        raise InputFileError(f"{shown(path)}: the file is {found} text, not UTF-8; {RESAVE}")


def read_first_record(path: Path, delimiter: str | None) -> tuple[list[str], str]:
    """The first record's fields and the delimiter (detected from it unless given).

    Any line ending ends the header (LF, CRLF or a lone CR); a quoted field may hold one.

    Raises:
        InputFileError: empty file, first line blank, not UTF-8 text, or a control character
            in the header.
    """
    check_text_encoding(path)
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if not head.strip():
        raise InputFileError(f"{shown(path)}: the file is empty; expected a header line and data rows")
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8) :]
    end = _first_line_end(head)
    first = head[:end]
    if not first.strip():
        raise InputFileError(f"{shown(path)}: line 1 is blank; the header must be the first line")
    text = _utf8_or_refuse(path, first)
    if bad := _first_control(text):
        raise InputFileError(
            f"{shown(path)}: line 1 (the header) holds the control character {bad!r}; is it a text file?"
        )
    delimiter = delimiter or detect_fields_delimiter(text)
    # The rest of the 64 KB only matters if the header's quotes span lines; its bytes are
    # checked with the whole file's (prepare_csv), so that a run records the failure.
    quoted_head = head.decode("utf-8", errors="replace")
    try:
        fields = next(csv.reader(_lines(quoted_head), delimiter=delimiter, quotechar='"', strict=True), [])
    except csv.Error:  # a quote in the header that never closes: read the first line plainly
        fields = text.split(delimiter)
    return fields, delimiter


def detect_fields_delimiter(line: str) -> str:
    """The delimiter (`,`, `;` or tab) that splits a line into the most fields; comma when none does."""
    counts = {}
    for candidate in (",", ";", "\t"):
        try:
            counts[candidate] = len(next(csv.reader(_lines(line), delimiter=candidate), []))
        except csv.Error:
            counts[candidate] = line.count(candidate) + 1
    best = max(counts.values())
    return next(d for d in counts if counts[d] == best) if best > 1 else ","


def _lines(text: str) -> list[str]:
    """Text split after each line ending, the way a file opened with newline='' iterates."""
    return text.splitlines(keepends=True) or [""]


def _first_line_end(data: bytes) -> int:
    ends = [i for i in (data.find(b"\n"), data.find(b"\r")) if i >= 0]
    return min(ends) if ends else len(data)


def _first_control(text: str) -> str | None:
    return next((ch for ch in text if ord(ch) < 32 and ch != "\t"), None)


def _utf8_or_refuse(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        with path.open("rb") as handle:
            bom = len(codecs.BOM_UTF8) if handle.read(3) == codecs.BOM_UTF8 else 0
        raise InputFileError(_not_utf8_at(path, bom + exc.start)) from None


def _count_breaks(data: bytes) -> int:
    """Line breaks in data: LF, CRLF and lone CR count one each."""
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")


@dataclass(frozen=True)
class CsvLayout:
    """What one pass over a CSV's bytes found, and what DuckDB should read."""

    path: Path  # the file as given
    delimiter: str
    read_path: Path  # the file itself, or a copy with LF line endings
    line_endings: str  # 'LF', 'CRLF', 'CR', 'mixed' or 'none' (a single line without an ending)
    record_lines: np.ndarray | None  # the line of each data record (0-based), when not record + 2
    ends_with_delimiter: bool  # some line ends with the delimiter: count its fields exactly
    underscores: bool  # some data byte is '_' (DuckDB would read '1_000' as 1000)
    controls: bool  # some value may hold a control character (a C0 byte, a quoted line break, ...)

    @property
    def copied(self) -> bool:
        return self.read_path != self.path

    def release(self) -> None:
        """Remove the copy (or link) DuckDB read instead of the file, once the file is read."""
        if self.copied:
            shutil.rmtree(self.read_path.parent, ignore_errors=True)

    def line_of(self, record: int) -> int:
        """The line (as an editor shows it) of data record `record`, counted from 0."""
        return int(self.record_lines[record]) if self.record_lines is not None else record + 2


def checked_csv(path: Path, delimiter: str) -> CsvLayout:
    """`prepare_csv`, and every record's field count checked where the quick pass cannot vouch for it
    (DuckDB takes 'a,b,c,' for three fields).

    Raises:
        InputFileError: as `prepare_csv`, or rows whose field count differs from the header's.
    """
    layout = prepare_csv(path, delimiter)
    if layout.ends_with_delimiter:
        refuse_bad_records(path, delimiter)
    return layout


def prepare_csv(path: Path, delimiter: str) -> CsvLayout:
    """Check every byte of a CSV and say what DuckDB should read. The caller keeps the layout for
    as long as it reads the file (nothing is cached here: a long-lived worker reads many files).

    Raises:
        InputFileError: UTF-16/32, or a byte that is not UTF-8 text (with its line).
    """
    check_text_encoding(path)
    scan = _scan(path, delimiter.encode())
    endings = scan.line_endings
    read_path = path
    if endings in ("CR", "mixed") or not readable_name(path):
        read_path = _copy_with_lf(path) if endings in ("CR", "mixed") else _link(path)
    lines = _record_lines(read_path, delimiter) if scan.quotes or scan.blank_lines else None
    # A value can hold a control character only through a C0 byte other than the line endings
    # and the delimiter, or a line break (or tab delimiter) inside quotes.
    controls = scan.controls or (scan.quotes and (delimiter == "\t" or lines is not None))
    return CsvLayout(path, delimiter, read_path, endings, lines, scan.ends_with_delimiter, scan.underscores, controls)


@dataclass
class _Scan:
    lf: int = 0
    cr: int = 0
    crlf: int = 0
    quotes: bool = False
    blank_lines: bool = False
    ends_with_delimiter: bool = False
    underscores: bool = False
    controls: bool = False

    @property
    def line_endings(self) -> str:
        if self.cr == 0:
            return "LF" if self.lf else "none"
        if self.lf == 0:
            return "CR"
        return "CRLF" if self.cr == self.crlf == self.lf else "mixed"


_BLANK = (b"\n\n", b"\r\r", b"\n\r\n", b"\r\n\r\n")


def _scan(path: Path, delimiter: bytes) -> _Scan:
    """One pass in 8 MB chunks with C-speed searches only; the CR searches only where a CR is.

    The line breaks of a chunk are found once (numpy): a blank line is two adjacent ones, a row
    ending in the delimiter has it just before one, and a control character is a byte under 32
    beyond the line breaks (and a tab delimiter). Two-byte searches (`b",\\n" in chunk`) would
    each cost as much as all of that, on a file of a hundred million lines.
    """
    scan = _Scan()
    offset, tail, in_header, pending = 0, b"", True, b""
    mark = delimiter[0]
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            if chunk.endswith(b"\r") and (more := handle.read(1)):
                chunk += more  # never split a CRLF between two chunks
            if pending or not chunk.isascii():  # ASCII is UTF-8: only other chunks are decoded
                try:  # a character cut by the chunk's end is finished by the next chunk
                    _, used = codecs.utf_8_decode(pending + chunk, "strict", False)
                except UnicodeDecodeError as exc:
                    raise InputFileError(_not_utf8_at(path, offset - len(pending) + exc.start)) from None
                pending = (pending + chunk)[used:]
            data = chunk
            if in_header:  # the header may say spending_score; only the data's '_' matter
                end = _first_line_end(chunk)
                in_header = end == len(chunk)
                data = chunk[end:]
            buf = np.frombuffer(data, dtype=np.uint8)
            breaks = np.flatnonzero(buf == 10)  # the header's part of a chunk holds no LF
            crs = data.count(b"\r") if b"\r" in chunk else 0
            scan.lf += breaks.size
            scan.quotes = scan.quotes or b'"' in data
            scan.underscores = scan.underscores or b"_" in data
            if not scan.controls:
                allowed = breaks.size + crs + (int(np.count_nonzero(buf == mark)) if mark < 32 else 0)
                scan.controls = int(np.count_nonzero(buf < 32)) != allowed
            if breaks.size and not scan.blank_lines:
                scan.blank_lines = bool(np.any(np.diff(breaks) == 1)) or (tail[-1:] == b"\n" and breaks[0] == 0)
            if breaks.size and not scan.ends_with_delimiter:
                before = buf[breaks[breaks > 0] - 1]
                scan.ends_with_delimiter = bool(np.any(before == mark)) or (tail[-1:] == delimiter and breaks[0] == 0)
            if crs or b"\r" in tail or b"\r" in chunk:
                joined = tail + data
                scan.cr += chunk.count(b"\r")
                scan.crlf += chunk.count(b"\r\n")
                scan.blank_lines = scan.blank_lines or any(b in joined for b in _BLANK)
                scan.ends_with_delimiter = scan.ends_with_delimiter or delimiter + b"\r" in joined
            tail = (tail + data[-3:])[-3:]
            offset += len(chunk)
    if pending:  # the file ends inside a multi-byte character
        raise InputFileError(_not_utf8_at(path, offset - len(pending)))
    if tail.endswith(delimiter):
        scan.ends_with_delimiter = True
    return scan


def _not_utf8_at(path: Path, offset: int) -> str:
    """The message for the byte at `offset`, the first that is not UTF-8, with its line."""
    breaks, line_start, previous = 0, 0, b""
    with path.open("rb") as handle:
        done = 0
        while done < offset:
            block = handle.read(min(CHUNK_BYTES, offset - done))
            if not block:
                break
            breaks += _count_breaks(block) - (previous.endswith(b"\r") and block.startswith(b"\n"))
            last = max(block.rfind(b"\n"), block.rfind(b"\r"))
            if last >= 0:
                line_start = done + last + 1
            previous = block
            done += len(block)
        bad = handle.read(1) or b"\0"
    return (
        f"{shown(path)}: line {breaks + 1} is not UTF-8 text (byte {bad[0]:#04x}, byte {offset - line_start + 1} "
        f"of the line; Windows-1252 or Latin-1?); {RESAVE}"
    )


def _copy_with_lf(path: Path) -> Path:
    """A temporary copy with every CRLF and lone CR as LF: same lines, one line ending (in a folder
    of its own, removed by `CsvLayout.release`)."""
    copy = Path(tempfile.mkdtemp(prefix="segment-source-")) / "source.csv"
    with copy.open("wb") as out, path.open("rb") as source:
        while chunk := source.read(CHUNK_BYTES):
            if chunk.endswith(b"\r") and (more := source.read(1)):
                chunk += more
            out.write(chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
    return copy


def _link(path: Path) -> Path:
    """A symlink with a UTF-8 name to a file whose name is not: DuckDB opens paths given as text."""
    link = Path(tempfile.mkdtemp(prefix="segment-source-")) / "source.csv"
    link.symlink_to(path.resolve())
    return link


def _record_lines(path: Path, delimiter: str) -> np.ndarray | None:
    """The starting line of each data record of an LF or CRLF file, as DuckDB numbers records:
    blank lines skipped, a line break inside quotes part of its record. None when record i is
    simply on line i + 2.

    Vectorised, in 8 MB chunks (memory stays bounded): a line break is inside quotes when an odd
    number of quotes precede it. That holds when every quote opens or closes a field (or is
    doubled inside one); a quote in the middle of an unquoted field (`Fe"male`, which DuckDB
    reads as written) is counted by reading the records one by one instead.
    """
    edges = np.zeros(256, dtype=bool)  # bytes that may stand beside a quote that opens or closes a field
    edges[[ord(delimiter), 10, 13, 34]] = True
    kept: list[np.ndarray] = []
    parity = breaks = offset = 0  # quotes so far (mod 2), line breaks so far, bytes so far
    record_start, record_line = 0, 1  # the current record: where it began, on which line
    previous = 10  # the byte before the chunk: the file starts a line
    with path.open("rb") as handle:
        chunk = handle.read(CHUNK_BYTES)
        while chunk:
            following = handle.read(CHUNK_BYTES)
            buf = np.frombuffer(chunk, dtype=np.uint8)
            quotes = np.flatnonzero(buf == 34)
            if quotes.size and _stray(buf, quotes, edges, previous, following[:1]):
                return record_lines_by_reading(path, delimiter)
            newlines = np.flatnonzero(buf == 10)
            inside = ((parity + np.searchsorted(quotes, newlines)) % 2) == 1
            ending = newlines[~inside]  # the line breaks that end a record
            lines_after = np.flatnonzero(~inside) + breaks + 2  # the line each next record starts on
            starts = np.concatenate(([record_start - offset], ending[:-1] + 1))
            lengths = ending - starts
            before = np.where(ending > 0, buf[np.maximum(ending - 1, 0)], previous)
            blank = (lengths == 0) | ((lengths == 1) & (before == 13))
            lines = np.concatenate(([record_line], lines_after[:-1]))
            kept.append(lines[~blank])
            if ending.size:
                record_start, record_line = offset + int(ending[-1]) + 1, int(lines_after[-1])
            parity = (parity + quotes.size) % 2
            breaks += newlines.size
            previous = int(buf[-1])
            offset += len(chunk)
            chunk = following
    if not (offset - record_start == 0 or (offset - record_start == 1 and previous == 13)):
        kept.append(np.array([record_line]))  # a last record without a line break after it
    lines = np.concatenate(kept).astype(np.int64)[1:] if kept else np.zeros(0, np.int64)  # [0]: the header
    if np.array_equal(lines, np.arange(2, lines.size + 2)):
        return None
    return lines


def _stray(buf: np.ndarray, quotes: np.ndarray, edges: np.ndarray, previous: int, following: bytes) -> bool:
    """Whether some quote neither follows a field start nor precedes a field end nor pairs up."""
    before = edges[np.where(quotes > 0, buf[np.maximum(quotes - 1, 0)], previous)]
    last = quotes + 1 >= buf.size
    after = edges[buf[np.minimum(quotes + 1, buf.size - 1)]] & ~last
    after |= last & (not following or bool(edges[following[0]]))
    return not bool(np.all(before | after))


def record_lines_by_reading(path: Path, delimiter: str) -> np.ndarray:
    """The starting line of each data record, reading the records one by one (exact, slow)."""
    lines: list[int] = []
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
        reader = csv.reader(handle, delimiter=delimiter, quotechar='"', doublequote=True)
        previous = 0
        for fields in reader:
            if fields:
                lines.append(previous + 1)
            previous = reader.line_num
    return np.array(lines[1:], dtype=np.int64)


@dataclass(frozen=True)
class RecordProblem:
    """One record that is not a well-formed row of the file."""

    line: int  # where the record starts, as an editor shows it
    fields: int | None  # how many fields it has; None for a quoting problem
    expected: int
    text: str  # the record as read (or the problem, for quoting)

    def describe(self, source: str) -> str:
        if self.fields is None:
            return f"{source}: line {self.line}: {self.text}"
        what = f"{self.fields} field{'s' if self.fields != 1 else ''}"
        return f"{source}: line {self.line} has {what} where the header has {self.expected}: {self.text!r}"


def record_problems(path: Path, delimiter: str, *, limit: int = 5) -> list[RecordProblem]:
    """The first records whose field count differs from the header's, or whose quotes are broken.

    Blank lines are skipped, as DuckDB skips them; a line of spaces is a record of one field.

    Args:
        path: the CSV (any line endings; UTF-8).
        delimiter: its delimiter.
        limit: stop after this many problems.

    Returns:
        Up to `limit` problems, in file order; empty when every record has the header's count.
    """
    problems: list[RecordProblem] = []
    expected = 0
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
        reader = csv.reader(handle, delimiter=delimiter, quotechar='"', doublequote=True, strict=True)
        previous = 0
        while len(problems) < limit:
            start = previous + 1
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                problems.append(RecordProblem(start, None, expected, _quoting(str(exc), reader.line_num, start)))
                break
            previous = reader.line_num
            if not fields:
                continue
            if not expected:
                expected = len(fields)
                continue
            if len(fields) != expected:
                text = delimiter.join(fields)
                problems.append(RecordProblem(start, len(fields), expected, text[:SHOWN_CHARS]))
    return problems


def _quoting(reason: str, at: int, start: int) -> str:
    if "unexpected end of data" in reason or "field larger" in reason:
        return "a quoted field opens here and never closes (a stray '\"'?)"
    span = f" (its record reaches line {at})" if at > start else ""
    return f'a quote is misplaced{span}: {reason}; quote a whole field, and write a quote inside one as ""'


def refuse_bad_records(path: Path, delimiter: str) -> None:
    """Raise with the first records whose field count differs from the header's, if any.

    Raises:
        InputFileError: naming each such record's line and field count.
    """
    problems = record_problems(path, delimiter)
    if not problems:
        return
    name = shown(path)
    lines = [problems[0].describe(name)]
    lines += [f"  also {p.describe(name).removeprefix(name + ': ')}" for p in problems[1:]]
    if any(p.fields == p.expected + 1 and p.text.endswith(delimiter) for p in problems):
        lines.append("hint: a row ending in an extra delimiter ('...,39,') has one field too many")
    raise InputFileError("\n".join(lines))


_CSV_ERROR_LINE = re.compile(r"CSV Error on Line: (?P<line>\d+)")
_CSV_ORIGINAL = re.compile(r"Original Line: (?P<text>.*)")
_CSV_COLUMNS = re.compile(r"Expected Number of Columns: (?P<want>\d+) Found: (?P<got>\d+)")


def describe_csv_error(error: BaseException | str, *, source: str, layout: CsvLayout | None = None) -> str:
    """DuckDB's CSV reader error as one line naming the file, line and problem.

    DuckDB counts records, not lines (and stops counting fields at one too many): callers ask
    `record_problems` first; this is what is said when it found nothing.
    """
    message = str(error)
    line = _CSV_ERROR_LINE.search(message)
    number = int(line["line"]) if line else None
    if number is not None and layout is not None and number >= 2:
        number = layout.line_of(number - 2)
    where = f"{source}: line {number}" if number is not None else source
    original = _CSV_ORIGINAL.search(message)
    excerpt = f": {original['text'].strip()[:120]!r}" if original else ""
    if columns := _CSV_COLUMNS.search(message):
        return f"{where} has {columns['got']} fields where the header has {columns['want']}{excerpt}"
    if "not utf-8 encoded" in message or "Invalid unicode" in message:
        return f"{where} is not UTF-8 text; save the file as UTF-8"
    first = message.splitlines()[0] if message else type(error).__name__
    return f"{where}: cannot be read as CSV ({first})"


def relined(table: pa.Table, layout: CsvLayout | None) -> pa.Table:
    """source_line as an editor shows it: DuckDB numbers records (a blank line or a line break
    inside quotes makes them differ). Read while the layout's copy (if any) is still there."""
    import pyarrow as pa  # only a reader of a file pays for it, not the command line's checks
    import pyarrow.compute as pc

    if layout is None or layout.record_lines is None or table.num_rows == 0:
        return table
    records = pc.subtract(table.column("source_line"), 2)
    mapping = layout.record_lines
    if pc.max(records).as_py() >= len(mapping):  # the quick count disagreed with DuckDB: count exactly
        mapping = record_lines_by_reading(layout.read_path, layout.delimiter)
    lines = pc.take(pa.array(mapping), records)
    return table.set_column(table.schema.get_field_index("source_line"), "source_line", lines)
