"""openpyxl in one place: safe, streaming workbook writing, and careful reading of uploads.

Writing (write-only mode, rows go to disk as they come):
- every text value is written as text: openpyxl would turn a string beginning with "=" into a live
  formula, so such values are written as explicit string cells; "@", "+", "-" prefixed values are
  text cells too and are never evaluated;
- control characters are removed (they are illegal in the XML or hide content);
- datetimes become real Excel dates (UTC, shown with a date format); booleans stay booleans;
- headers are bold, frozen, filtered, columns sized.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime

from lxml.etree import Element, SubElement
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
DATE_FORMAT = "yyyy-mm-dd"
MAX_CELL = 32_767  # Excel's limit on one cell's text


def clean_text(value: str) -> str:
    if CONTROL.search(value):
        value = CONTROL.sub("", value)
    return value[:MAX_CELL]


class _RowWriter:
    """Writes one row's values straight to the sheet's XML stream: the same cells openpyxl writes
    (inline strings, numbers, booleans, dates with a date style) without a Cell object per value.
    Used for the big History sheet; values have been through ``SafeWorkbook.cell`` or are trusted."""

    def __init__(self, ws):
        from openpyxl.utils.datetime import to_excel

        probe = WriteOnlyCell(ws, value=datetime(2000, 1, 1))  # registers openpyxl's date style
        self.date_style = str(probe.style_id)
        self.to_excel = to_excel
        self.epoch = ws.parent.epoch
        self.letters = [get_column_letter(i) for i in range(1, 200)]

    def __call__(self, xf, row, row_idx):
        r = str(row_idx)
        el = Element("row", r=r)
        for col, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, Cell):  # text that begins with "=", already a text cell
                value = value.value
            ref = self.letters[col] + r
            kind = type(value)
            if kind is str:
                if value == "":
                    continue
                c = SubElement(el, "c", r=ref, t="inlineStr")
                t = SubElement(SubElement(c, "is"), "t")
                if value != value.strip():
                    t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
                t.text = value
            elif kind is bool:
                c = SubElement(el, "c", r=ref, t="b")
                SubElement(c, "v").text = "1" if value else "0"
            elif kind is int or kind is float:
                c = SubElement(el, "c", r=ref, t="n")
                SubElement(c, "v").text = repr(value) if kind is float else str(value)
            elif kind is datetime:
                c = SubElement(el, "c", r=ref, t="n", s=self.date_style)
                SubElement(c, "v").text = repr(self.to_excel(value, self.epoch))
            else:
                c = SubElement(el, "c", r=ref, t="inlineStr")
                SubElement(SubElement(c, "is"), "t").text = str(value)
        xf.write(el)


class Sheet:
    def __init__(self, book: SafeWorkbook, title: str, headers: Sequence[str], widths: Sequence[int] | None,
                 fast: bool = False):
        self.book = book
        self.ws = book.wb.create_sheet(title=title[:31])
        self.headers = list(headers)
        self.rows = 0
        self._untrusted: dict[frozenset[int], list[int]] = {}
        self.ws.freeze_panes = "A2"
        for i, w in enumerate(widths or [max(12, min(40, len(h) + 4)) for h in headers], start=1):
            self.ws.column_dimensions[get_column_letter(i)].width = w
        bold = Font(bold=True)
        cells = []
        for h in self.headers:
            c = WriteOnlyCell(self.ws, value=clean_text(str(h)))
            c.data_type = "s"
            c.font = bold
            cells.append(c)
        self.ws.append(cells)
        if fast:  # from now on rows skip openpyxl's per-cell objects (see _RowWriter)
            self.ws._values_to_row = lambda values, _row_idx: values
            self.ws._writer.write_row = _RowWriter(self.ws)

    def append(self, values: Iterable, trusted: frozenset[int] = frozenset()) -> None:
        """``trusted``: positions whose values the application made itself (hashes, codes, numbers,
        its own JSON and labels) and which need no cleaning; everything else goes through ``cell``."""
        cell, ws = self.book.cell, self.ws
        if trusted:
            row = values if isinstance(values, list) else list(values)
            untrusted = self._untrusted.get(trusted)
            if untrusted is None:
                untrusted = self._untrusted[trusted] = [i for i in range(len(self.headers)) if i not in trusted]
            for i in untrusted:
                row[i] = cell(ws, row[i])
            ws.append(row)
        else:
            ws.append([cell(ws, v) for v in values])
        self.rows += 1

    def close(self) -> None:
        last = get_column_letter(max(1, len(self.headers)))
        self.ws.auto_filter.ref = f"A1:{last}{self.rows + 1}"


class SafeWorkbook:
    def __init__(self):
        self.wb = Workbook(write_only=True)
        self.sheets: list[Sheet] = []

    def sheet(self, title: str, headers: Sequence[str], widths: Sequence[int] | None = None,
              fast: bool = False) -> Sheet:
        sheet = Sheet(self, title, headers, widths, fast)
        self.sheets.append(sheet)
        return sheet

    @staticmethod
    def cell(ws, value):
        kind = type(value)
        if kind is str:  # the hot path: most cells are text
            if CONTROL.search(value) or len(value) > MAX_CELL:
                value = clean_text(value)
            if value[:1] == "=":
                c = WriteOnlyCell(ws, value=value)
                c.data_type = "s"  # text, never a formula
                return c
            return value
        if value is None or kind is int or kind is bool:
            return value
        if kind is datetime:  # openpyxl gives naive datetimes a date format itself
            if value.tzinfo is None:
                return value
            return (value if value.tzinfo is UTC else value.astimezone(UTC)).replace(tzinfo=None)
        if isinstance(value, date):
            c = WriteOnlyCell(ws, value=value)
            c.number_format = DATE_FORMAT
            return c
        if isinstance(value, float):
            return value
        return SafeWorkbook.cell(ws, str(value))

    def save(self, target) -> None:
        for sheet in self.sheets:
            sheet.close()
        self.wb.save(target)


# --- reading ---------------------------------------------------------------------------------

def read_rows(path, sheet_index: int):
    """Values of one sheet of a workbook, row by row (read-only mode: streaming)."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=False)
    try:
        ws = wb.worksheets[sheet_index]
        yield from ws.iter_rows(values_only=True)
    finally:
        wb.close()


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
    from openpyxl import load_workbook

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
        wb = load_workbook(path, read_only=False, data_only=False)
    except UploadRefused:
        raise
    except Exception as exc:  # openpyxl raises many kinds on a broken file
        raise UploadRefused(_("The workbook is damaged and could not be read (%(kind)s).",
                              kind=exc.__class__.__name__)) from None
    try:
        ws = wb.worksheets[0]
        if ws.max_row - 1 > max_rows:
            raise UploadRefused(_("The list has %(n)d rows; at most %(max)d can be imported at once.",
                                  n=ws.max_row - 1, max=max_rows))
        if ws.merged_cells.ranges:
            cells = ", ".join(str(r) for r in list(ws.merged_cells.ranges)[:5])
            raise UploadRefused(_("The sheet has merged cells (%(cells)s); unmerge them and try again.", cells=cells))
        formulas = [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"]
        if formulas:
            raise UploadRefused(_("The sheet has formulas (%(cells)s); paste values only and try again.",
                                  cells=", ".join(formulas[:5])))
        rows = ws.iter_rows(values_only=True)
        headers = [str(h).strip() if h is not None else "" for h in next(rows, [])]
        body = [(i, list(values)) for i, values in enumerate(rows, start=2)
                if any(v not in (None, "") for v in values)]
        return headers, body
    finally:
        wb.close()


def template_workbook(target, headers: list[str], example: list) -> None:
    book = SafeWorkbook()
    sheet = book.sheet("Detention list", headers, [max(14, min(34, len(h) + 2)) for h in headers])
    sheet.append(example)
    book.save(target)
