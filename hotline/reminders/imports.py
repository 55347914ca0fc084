"""CSV imports of enrollments: how a file is read, what is refused before anything runs, and the report.

Every edge uses these rules: the dashboard and the API (through the background job in import_jobs.py)
and `hotline import`. Rows themselves are checked and enrolled by EnrollmentRules.import_csv, with the same
checks as one enrollment.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from hotline.errors import ImportRefused as ImportRefused
from hotline.reminders.schedules import ScheduleStore

MAX_IMPORT_BYTES = 2 * 1024 * 1024  # about 150,000 numbers; the web edges refuse more (the CLI takes any size)
MAX_IMPORT_REQUEST_BYTES = MAX_IMPORT_BYTES + 64 * 1024  # a web import's request: the file and a form around it
IMPORT_BATCH = 1000  # rows checked, then written in one pipelined round trip, between progress reports
LISTED_ERRORS = 100  # bad rows listed in a job's report (all are counted); the CLI lists every one

COLUMNS = "number, and optionally schedule, language, timezone, baby_name"
HEADER_ALIASES = {"phone": "number", "phone_number": "number", "to": "number", "tz": "timezone",
                  "lang": "language", "name": "baby_name"}
ROW_ERROR = "\x00error"  # the key of a row that could not be read (no CSV header names a column so)

TOO_LARGE = ("the file is larger than 2 MB, the most one import takes (about 150,000 numbers); split it into "
             "smaller files and import them one after the other: numbers already enrolled are not added twice")
NOT_CSV = "the file must be saved as CSV UTF-8 (in Excel: Save As, \"CSV UTF-8\")"
NO_HEADER = ("the first line must be a header with a 'number' column "
             "(optional: schedule, language, timezone, baby_name)")
NO_ROWS = f"the file has no rows to import: its first line names the columns ({COLUMNS}), then one parent a line"


@dataclass
class ImportReport:
    """What an import did so far: rows done of all rows, enrolled, already enrolled, and bad rows by line."""

    imported: int = 0
    duplicates: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line in the file, why), in file order
    rows_done: int = 0
    rows_total: int = 0

    def to_dict(self, max_errors: int | None = None) -> dict[str, object]:
        listed = self.errors if max_errors is None else self.errors[:max_errors]
        return {"rows_total": self.rows_total, "rows_done": self.rows_done, "imported": self.imported,
                "duplicates": self.duplicates, "error_count": len(self.errors),
                "errors": [{"line": line, "error": e} for line, e in listed]}


def check_csv(raw: bytes, schedule_name: str, schedules: ScheduleStore,
              max_bytes: int | None = MAX_IMPORT_BYTES) -> str:
    """The file's text, or ImportRefused saying what is wrong with the file as a whole: too large, not CSV
    text, no header with a 'number' column, no rows, or no such schedule for rows without one.
    Cheap: the rows after the first are read by the import itself."""
    if max_bytes is not None and len(raw) > max_bytes:
        raise ImportRefused(TOO_LARGE, 413)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:  # UTF-16, a spreadsheet (.xlsx is a zip), a picture...
        raise ImportRefused(NOT_CSV) from None
    if "\x00" in text:  # valid UTF-8, but binary: no text file has NUL characters
        raise ImportRefused(NOT_CSV)
    first = next(csv_rows(text), None)
    if first is None:
        raise ImportRefused(NO_ROWS)
    if first[0] == -1:
        raise ImportRefused(NO_HEADER)
    if schedules.get(schedule_name) is None:
        raise ImportRefused(f"no schedule named '{schedule_name}'", 404)
    return text


def _lines(text: str) -> list[str]:
    # Split at "\n" only, as the csv reader counts lines; without the byte order mark Excel writes first.
    return io.StringIO(text.lstrip("\ufeff")).readlines()


def _records(lines: list[str]) -> Iterator[tuple[int, int, list[str] | csv.Error]]:
    """(first line, last line, fields) of each record (a quoted field may span lines); the csv.Error
    instead of the fields for a record the reader refuses (a field over csv.field_size_limit)."""
    reader = csv.reader(lines)
    after = 0
    while True:
        try:
            fields: list[str] | csv.Error = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            fields = error
        yield after + 1, reader.line_num, fields
        after = reader.line_num


def _header(fields: list[str]) -> list[str]:
    return [HEADER_ALIASES.get(h, h) for h in (re.sub(r"\s+", "_", f.strip().lower()) for f in fields)]


def csv_rows(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row; (-1, {"error": ...}) when the header is unusable, and
    (line, {ROW_ERROR: ...}) for a line the reader refuses (a field over csv.field_size_limit)."""
    header: list[str] | None = None
    for _, line, fields in _records(_lines(text)):
        if isinstance(fields, csv.Error):
            yield line, {ROW_ERROR: f"this line cannot be read ({fields}): is a field too long?"}
            continue
        if not any(f.strip() for f in fields):
            continue
        if header is None:
            header = _header(fields)
            if "number" not in header:
                yield -1, {"error": NO_HEADER}
                return
            continue
        padded = fields + [""] * (len(header) - len(fields))
        yield line, {name: value.strip() for name, value in zip(header, padded, strict=False)}


def without_number(text: str, is_number: Callable[[str], bool]) -> str | None:
    """The text with every row whose number column `is_number(value)` blanked (its lines left empty, so the
    other rows keep their line numbers); None when no row matched."""
    lines = _lines(text)
    header: list[str] | None = None
    blanked = False
    for first, last, fields in _records(lines):
        if isinstance(fields, csv.Error) or not any(f.strip() for f in fields):
            continue
        if header is None:
            header = _header(fields)
            if "number" not in header:
                return None
            continue
        at = header.index("number")
        if at < len(fields) and is_number(fields[at].strip()):
            for index in range(first - 1, last):
                lines[index] = "\n" if lines[index].endswith("\n") else ""
            blanked = True
    return text[:len(text) - len(text.lstrip("\ufeff"))] + "".join(lines) if blanked else None
