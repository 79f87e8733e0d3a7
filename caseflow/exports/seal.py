"""Every cell a person reads, sealed: each sheet of the auditor's workbook has a Merkle root over its
rows (RFC 9162, the log's arithmetic), and the About sheet is signed with the audit key together
with those roots. ``verify-export`` reads the cells back, recomputes the roots and checks the
signature: an edit to any word, time, label or number — on any sheet — fails, and the "Row check"
column (a CRC-32 per cell: a locator; the roots are what hold the cells) names the sheet, row and
column of the first one.

A History row's hashed columns are held by its chain; its seal covers the columns written for
reading (the time, the action in words, the details in words).

A cell is sealed as it reads back: text as written, whole numbers as integers, other numbers to
the 16 digits the file keeps, datetimes to the second (as shown), dates as midnight.
"""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta

from caseflow.audit.hashing import canonical_json
from caseflow.audit.merkle import Frontier, leaf_hash

SEAL_CONTEXT = "caseflow-export-v1"
CHECK_WIDTH = 8  # hex digits per cell in the Row check column


def cell_value(value):
    """A cell's value as written and as read back, in one canonical form."""
    if value is None or value == "":
        return None
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        x = float(f"{value:.16G}")
        return int(x) if x.is_integer() and abs(x) < 2**63 else repr(x)
    if isinstance(value, datetime):
        if value.microsecond:  # openpyxl reads to the millisecond: back to the written second
            value = (value + timedelta(microseconds=500_000)).replace(microsecond=0)
        return value.replace(tzinfo=None).isoformat()
    return str(value)


class SheetSeal:
    """Accumulates one sheet's rows (the ``columns`` positions of each) into a Merkle root."""

    def __init__(self, key: str, columns: list[int]):
        self.key, self.columns, self.frontier = key, list(columns), Frontier()

    def cells(self, values) -> list:
        return [cell_value(values[i]) if i < len(values) else None for i in self.columns]

    def row(self, values) -> str:
        """Seal a row; answer its Row check text."""
        row = self.frontier.size + 1
        cells = self.cells(values)
        self.frontier.append(leaf_hash(canonical_json([self.key, row, cells])))
        return row_check(self.key, row, cells)

    def summary(self) -> dict:
        return {"rows": self.frontier.size, "root": self.frontier.root.hex(), "columns": self.columns}


def row_check(key: str, row: int, cells: list) -> str:
    """A locator, not a seal: CRC-32 per cell (the Merkle root over the cells is what holds them;
    a forger who fixes up the locator still fails the root)."""
    return "".join(f"{zlib.crc32(repr((key, row, i, c)).encode()):08x}" for i, c in enumerate(cells))


def statement(about: dict, sheets: dict) -> bytes:
    """What the signature covers: every About value but the signature's own, and each sheet's seal."""
    return canonical_json([SEAL_CONTEXT, about, sheets])


def first_difference(seal: SheetSeal, values, check: str | None) -> int | None:
    """The position (in ``seal.columns``) of the first cell whose check differs, if the check names it."""
    cells = seal.cells(values)
    expected = row_check(seal.key, seal.frontier.size, cells)
    check = check or ""
    for i in range(len(cells)):
        part = slice(i * CHECK_WIDTH, (i + 1) * CHECK_WIDTH)
        if expected[part] != check[part]:
            return i
    return None
