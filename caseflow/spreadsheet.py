"""Spreadsheets in one place: workbooks written with XlsxWriter, uploads read with openpyxl.

Writing (XlsxWriter in ``constant_memory`` mode: each row goes to disk as it is written, so memory
stays flat however long the History sheet is):
- every text value is written with ``write_string``: a string beginning with "=" stays text, never a
  formula (``strings_to_formulas`` is off as well);
- characters that XML 1.0 cannot carry (C0 controls but tab, newline and return; U+FFFE, U+FFFF;
  lone surrogates) never reach the file: user text loses them; the application's own JSON keeps
  them as JSON escapes (``\\ufffe``), so that what was hashed still reads back the same;
- datetimes are real Excel dates (UTC, with a date format); booleans stay booleans;
- headers are bold, frozen, filtered, columns sized.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime, time

import xlsxwriter

#: what XML 1.0 cannot carry, plus DEL (hides content); the input boundary refuses all but DEL
UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
MAX_CELL = 32_767  # Excel's limit on one cell's text


def clean_text(value: str) -> str:
    """User text as a cell may hold it: unsafe characters removed, at most MAX_CELL long."""
    if UNSAFE.search(value):
        value = UNSAFE.sub("", value)
    return value[:MAX_CELL]


def _json_escape(match: re.Match) -> str:
    return f"\\u{ord(match.group()):04x}"


def escape_unsafe(value: str) -> str:
    """The application's own JSON text with unsafe characters written as JSON escapes: it parses
    back to exactly the same values."""
    return UNSAFE.sub(_json_escape, value)


class Sheet:
    def __init__(self, book: SafeWorkbook, title: str, headers: Sequence[str], widths: Sequence[int] | None):
        self.book = book
        self.ws = book.wb.add_worksheet(clean_text(title)[:31])
        self.headers = list(headers)
        self.rows = 0
        self.seal = None
        self.ws.freeze_panes(1, 0)
        for i, w in enumerate(widths or [max(12, min(40, len(h) + 4)) for h in headers]):
            self.ws.set_column(i, i, w)
        for i, h in enumerate(self.headers):
            self.ws.write_string(0, i, clean_text(str(h)), book.bold)

    def append(self, values: Iterable, trusted: frozenset[int] = frozenset()) -> None:
        """``trusted``: positions whose values the application made itself (hashes, codes, numbers,
        its own JSON and labels): unsafe characters there are escaped, never stripped. A sealed
        sheet (``seal``) is told each row as written, and its answer is written after it."""
        ws, book = self.ws, self.book
        r = self.rows + 1
        written = [] if self.seal is not None else None
        values = values if isinstance(values, list | tuple) else list(values)
        # one look over all the row's text (most rows have nothing to clean) instead of one per cell
        text = "".join([v for v in values if v.__class__ is str])
        risky = len(text) > MAX_CELL or UNSAFE.search(text) is not None
        for c, value in enumerate(values):
            kind = type(value)
            if kind is str:
                if not risky:
                    pass
                elif c in trusted:
                    if UNSAFE.search(value):
                        value = escape_unsafe(value)
                elif UNSAFE.search(value) or len(value) > MAX_CELL:
                    value = clean_text(value)
                if value:
                    ws.write_string(r, c, value)
                else:
                    value = None
            elif value is None:
                pass
            elif kind is int or kind is float:
                ws.write_number(r, c, value)
            elif kind is bool:
                ws.write_boolean(r, c, value)
            elif kind is datetime:
                if value.tzinfo is not None:
                    value = value.astimezone(UTC).replace(tzinfo=None)
                value = value.replace(microsecond=0)  # what the cell shows, and reads back exactly
                ws.write_datetime(r, c, value, book.datetime_format)
            elif kind is date:
                value = datetime.combine(value, time())
                ws.write_datetime(r, c, value, book.date_format)
            else:
                value = clean_text(str(value))
                ws.write_string(r, c, value)
            if written is not None:
                written.append(value)
        if written is not None:
            check = self.seal.row(written)
            ws.write_string(r, len(written), check)
        self.rows += 1

    def seal_with(self, seal, header: str) -> None:
        """Seal each row as written (see exports/seal.py); its Row check goes in a last column."""
        self.seal = seal
        col = len(self.headers)
        self.headers.append(header)
        self.ws.set_column(col, col, 14)
        self.ws.write_string(0, col, clean_text(header), self.book.bold)

    def close(self) -> None:
        self.ws.autofilter(0, 0, self.rows, max(0, len(self.headers) - 1))


class _FailsOnce:
    """The workbook's file: the first write error (a full disk) is raised, later writes are dropped,
    as are all once the workbook is abandoned. XlsxWriter leaves its zip open when a write fails; the
    garbage collector then closes it, and an error there could only be printed, never handled. The
    file is removed afterwards (``SafeWorkbook.cleanup``)."""

    def __init__(self, fh):
        self.fh, self.failed = fh, False

    def write(self, data) -> int:
        if self.failed:
            return len(data)
        try:
            return self.fh.write(data)
        except OSError:
            self.failed = True
            raise

    def flush(self) -> None:
        if not self.failed:
            try:
                self.fh.flush()
            except OSError:
                self.failed = True
                raise

    def tell(self) -> int:
        return 0 if self.failed else self.fh.tell()

    def seek(self, *args) -> int:
        return 0 if self.failed else self.fh.seek(*args)

    def seekable(self) -> bool:
        return True


class SafeWorkbook:
    """A workbook written to ``target`` (a path or a binary file) as rows come. Used as a context
    (``with SafeWorkbook(path) as book``): its own temporary files (XlsxWriter's, one per sheet, in a
    folder of their own) are removed at the end, whether the workbook was saved or not; a path it
    could not finish is removed too."""

    def __init__(self, target):
        self.tmpdir = tempfile.mkdtemp(prefix="caseflow-xlsx-")
        self.path = target if isinstance(target, (str, os.PathLike)) else None
        self.own = open(target, "wb") if self.path is not None else None  # noqa: SIM115 - closed by cleanup
        self.out = _FailsOnce(self.own if self.own is not None else target)
        self.saved = False
        self.wb = xlsxwriter.Workbook(self.out, {
            "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False, "in_memory": False, "tmpdir": self.tmpdir,
        })
        self.bold = self.wb.add_format({"bold": True})
        self.date_format = self.wb.add_format({"num_format": DATE_FORMAT})
        self.datetime_format = self.wb.add_format({"num_format": DATETIME_FORMAT})
        self.sheets: list[Sheet] = []

    def __enter__(self) -> SafeWorkbook:
        return self

    def __exit__(self, *exc) -> None:
        self.cleanup()

    def sheet(self, title: str, headers: Sequence[str], widths: Sequence[int] | None = None) -> Sheet:
        sheet = Sheet(self, title, headers, widths)
        self.sheets.append(sheet)
        return sheet

    def save(self) -> None:
        """Finish the workbook (and, given a path, close it; used outside a ``with``, that is all)."""
        for sheet in self.sheets:
            sheet.close()
        self.wb.close()
        self.out.flush()
        self.saved = True
        self.cleanup()

    def cleanup(self) -> None:
        if not self.saved:  # whatever XlsxWriter left open writes nowhere from now on
            self.out.failed = True
            for ws in self.wb.worksheets():  # the sheets' row files (constant_memory), which close() would close
                fh = getattr(ws, "row_data_fh", None)
                if fh is not None and not fh.closed:
                    with suppress(OSError):
                        fh.close()
        if self.own is not None and not self.own.closed:
            with suppress(OSError):  # a full disk: the buffer cannot be written, the file goes anyway
                self.own.close()
            if not self.saved:
                with suppress(OSError):
                    os.unlink(self.path)
        shutil.rmtree(self.tmpdir, ignore_errors=True)


# --- reading ---------------------------------------------------------------------------------

@contextmanager
def reading(path):
    """A workbook open for streaming (read-only mode), closed afterwards — its file too, even when
    openpyxl gives up half-way through a broken one (it would leave its file open otherwise)."""
    from openpyxl import load_workbook

    with open(path, "rb") as fh:
        wb = load_workbook(fh, read_only=True, data_only=False)
        try:
            yield wb
        finally:
            wb.close()


def sheet_names(path) -> list[str]:
    with reading(path) as wb:
        return wb.sheetnames


def read_rows(path, sheet_index: int):
    """Values of one sheet of a workbook, row by row (read-only mode: streaming)."""
    with reading(path) as wb:
        yield from wb.worksheets[sheet_index].iter_rows(values_only=True)


class UploadRefused(ValueError):
    """An uploaded workbook that cannot be read safely; the message says why, for the user."""


ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted (password-protected) .xlsx, or old .xls
MAX_UNCOMPRESSED = 100 * 1024 * 1024
MAX_RATIO = 100
MAX_ENTRIES = 2_000


def open_upload(path, *, max_rows: int):
    """Check an uploaded file before openpyxl parses it, then load its first sheet.

    Returns (headers, rows) where rows are (row number, values). Raises UploadRefused with a
    message for: not a workbook, password-protected or .xls, corrupt, zip bomb, too many rows,
    formulas, merged cells.
    """
    import zipfile

    from flask_babel import gettext as _

    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(OLE_MAGIC):
        raise UploadRefused(_("This workbook is password-protected or in the old .xls format. "
                              "Remove the password, save it as .xlsx and try again."))
    if not head.startswith(ZIP_MAGIC):
        raise UploadRefused(_("This is not an Excel workbook (.xlsx)."))
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            total = sum(i.file_size for i in infos)
            packed = max(1, sum(i.compress_size for i in infos))
            if len(infos) > MAX_ENTRIES or total > MAX_UNCOMPRESSED or total / packed > MAX_RATIO:
                raise UploadRefused(_("This file expands to far more than a detention list should "
                                      "(a possible zip bomb); it was not opened."))
            if "xl/workbook.xml" not in z.namelist():
                raise UploadRefused(_("This is not an Excel workbook (.xlsx)."))
            bad = z.testzip()
            if bad:
                raise UploadRefused(_("The workbook is damaged (%(part)s); it could not be read.", part=bad))
            merged = _merged_ranges(z)
            if merged:
                raise UploadRefused(_("The sheet has merged cells (%(cells)s); unmerge them and try again.",
                                      cells=", ".join(merged[:5])))
        with reading(path) as wb:  # streaming: rows are read as counted
            return _read_rows(wb.worksheets[0], max_rows)
    except UploadRefused:
        raise
    except Exception as exc:  # openpyxl raises many kinds on a broken file
        raise UploadRefused(_("The workbook is damaged and could not be read (%(kind)s).",
                              kind=exc.__class__.__name__)) from None


def _merged_ranges(z) -> list[str]:
    """Merged cells, found in the sheets' XML without parsing it whole (read-only mode has none)."""
    found: list[str] = []
    for name in z.namelist():
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            with z.open(name) as fh:
                tail = b""
                while chunk := fh.read(1 << 16):
                    text = tail + chunk
                    found += [m.decode() for m in re.findall(rb'<mergeCell ref="([A-Z0-9:]+)"', text)]
                    tail = text[-64:]
    return list(dict.fromkeys(found))


def _read_rows(ws, max_rows: int):
    """Headers and the non-empty rows, counted as they are read: the read stops at the first row
    past the limit, and at the end if any cell holds a formula."""
    rows = ws.iter_rows()
    try:
        return _count_rows(rows, max_rows)
    finally:
        rows.close()  # a read stopped early closes its sheet's stream now, not at garbage collection


def _count_rows(rows, max_rows: int):
    from flask_babel import gettext as _

    headers = [str(c.value).strip() if c.value is not None else "" for c in next(rows, ())]
    body, formulas = [], []
    for number, cells in enumerate(rows, start=2):
        values = []
        for c in cells:
            if c.data_type == "f" and len(formulas) < 5:
                formulas.append(getattr(c, "coordinate", f"row {number}"))
            values.append(c.value)
        if any(v not in (None, "") for v in values):
            body.append((number, values))
            if len(body) > max_rows:
                raise UploadRefused(_("The list has more than %(max)d rows; at most %(max)d can be imported at "
                                      "once.", max=max_rows))
    if formulas:
        raise UploadRefused(_("The sheet has formulas (%(cells)s); paste values only and try again.",
                              cells=", ".join(formulas)))
    return headers, body


def template_workbook(target, headers: list[str], example: list, *, titles: tuple[str, str, str]) -> None:
    """An empty list to fill (the first sheet, the one imported) and a filled-in example on a sheet of
    its own, so that the example is never imported as a child. ``titles``: the list's sheet, the
    example's sheet, and the example's note."""
    with SafeWorkbook(target) as book:
        widths = [max(14, min(34, len(h) + 2)) for h in headers]
        book.sheet(titles[0], headers, widths)
        sample = book.sheet(titles[1], headers, widths)
        sample.append(example)
        sample.append([titles[2]])
        book.save()
