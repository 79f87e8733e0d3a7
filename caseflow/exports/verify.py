"""Offline verification of an exported workbook: recompute every chain in the History sheet and
check it against the digest on the About sheet — with or without identifying data in the file —
then every other cell a person reads: each sheet's rows against its seal, the seals and the About
sheet against their signature (see exports/seal.py). The first difference is named by sheet, row
and column."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from types import SimpleNamespace
from zipfile import BadZipFile

from caseflow.audit.digest import merkle_root
from caseflow.audit.heads import verify_with
from caseflow.audit.signing import trusted_public_keys
from caseflow.audit.verify import Break, Report, verify_events
from caseflow.exports.columns import HISTORY_KEYS, SHEETS
from caseflow.exports.protect import WrongPassphrase, decrypted_copy, is_encrypted
from caseflow.exports.rebuild import rebuild_problems
from caseflow.exports.seal import SheetSeal, cell_value, first_difference, statement
from caseflow.spreadsheet import read_rows, sheet_names

ABOUT, HISTORY = 0, 2


class UnreadableExport(ValueError):
    """Not a Caseflow export, or not a workbook at all."""


@dataclass
class ExportReport:
    report: Report
    about: dict
    root_expected: str
    root_found: str
    #: the sheets' cells against their seals and signature, first difference first
    cells: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.report.ok and self.root_expected == self.root_found and not self.cells

    def problems(self) -> list[str]:
        out = [*self.cells, *(b.describe() for b in self.report.breaks)]
        if self.root_expected != self.root_found:
            out.append(f"the chains in the file give digest {self.root_found}, the About sheet says "
                       f"{self.root_expected}: rows were removed or chains cut short")
        return out


def _event(values: tuple, line: int) -> SimpleNamespace:
    row = dict(zip(HISTORY_KEYS, values, strict=False))
    try:
        details = json.loads(row["details"] or "{}")
        identifying = json.loads(row["identifying"]) if row.get("identifying") else None
    except (TypeError, json.JSONDecodeError):
        details, identifying = {"unreadable": f"row {line}"}, None
    return SimpleNamespace(
        chain=str(row["chain"] or ""), seq=row["seq"] if isinstance(row["seq"], int) else -1,
        occurred_at=str(row["at"] or ""), actor_id=row["actor_id"], actor_name=row["actor_name"],
        actor_role=row["actor_role"], actor_org=row["actor_org"], action=row["action"],
        from_state=row["from_state"], to_state=row["to_state"], details=details, identifying=identifying,
        ident_digest=row["ident_digest"] or "", request_id=row["request_id"], client_addr=row["client_addr"],
        prev_hash=str(row["prev_hash"] or ""), hash=str(row["hash"] or ""),
        hash_version=_int_or_none(row.get("hash_version")), case_id=_int_or_none(row.get("case_id")),
    )


def _int_or_none(value):
    """A whole number from a cell (a number, or its text), else None — a cell edited into anything
    else then fails the hash, as it should."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value)) if value not in (None, "") else None
    except ValueError:
        return -1


def verify_export(path, passphrase: str | None = None, keys: list[str] | None = None) -> ExportReport:
    """Every chain of the workbook's History against its About digest; an encrypted workbook (one
    with identifying data) is opened with its passphrase first."""

    if is_encrypted(path):
        try:
            plain = decrypted_copy(path, passphrase)
        except WrongPassphrase as exc:
            raise UnreadableExport(f"{path}: {exc}") from None
        try:
            return verify_export(plain, keys=keys)
        finally:
            import os

            os.unlink(plain)
    try:
        about = {r[0]: r[2] for r in read_rows(path, ABOUT) if r and r[0]}
        rows = list(read_rows(path, HISTORY))
    except (BadZipFile, KeyError, IndexError, OSError, ValueError) as exc:
        raise UnreadableExport(f"{path}: not a Caseflow export workbook ({exc.__class__.__name__})") from None
    if "chains_root" not in about or not rows or len(rows[0]) < len(HISTORY_KEYS) - 1:
        raise UnreadableExport(f"{path}: not a Caseflow export workbook (no About digest or History sheet)")
    events = [_event(r, i) for i, r in enumerate(rows[1:], start=2) if any(v is not None for v in r)]
    events.sort(key=lambda e: (e.chain, e.seq))
    report = verify_events(events)
    expected = str(about.get("chains_root") or "")
    found = merkle_root(report.heads)
    if report.events == 0 and about.get("rows_history") not in (None, "0"):
        report.breaks.append(Break("-", 0, "the History sheet is empty"))
    cells = check_cells(path, keys)
    from flask import has_app_context

    if has_app_context() and report.ok:  # the workflows' replayers (the CLI always has them)
        cells += rebuild_problems(path, events, sheet_names(path))
    return ExportReport(report, about, expected, found, cells)


def check_cells(path, extra_keys: list[str] | None = None) -> list[str]:
    """Every sealed sheet against its seal, and the About sheet and the seals against their
    signature, checked with the audit keys this verifier trusts (never a key the file names)."""
    titles = sheet_names(path)
    about_rows = read_rows(path, ABOUT)
    next(about_rows, None)  # its header
    about = {r[0]: cell_value(r[2]) for r in about_rows if r and r[0] and len(r) > 2}
    signature = about.pop("signature", None)
    about.pop("signing_key", None)
    try:
        seals = json.loads(about.get("sheet_seals") or "")
    except ValueError:
        seals = None
    if not isinstance(seals, dict) or not signature:
        return [f"sheet {titles[ABOUT]}: the workbook carries no signature over its sheets; only the History's "
                "hashed columns could be checked"]
    trusted = [*trusted_public_keys(), *(extra_keys or [])]
    message = statement(about, seals)
    out = []
    if not any(verify_with(k, message, signature) for k in trusted):
        out.append(f"sheet {titles[ABOUT]}: its values or the sheets' seals do not match the signature "
                   "(or it was not signed with a trusted audit key)")
    for key, summary in sorted(seals.items(), key=lambda kv: SHEETS.index(kv[0]) if kv[0] in SHEETS else 99):
        if key not in SHEETS or not isinstance(summary, dict):
            out.append(f"sheet {titles[ABOUT]}: an unknown sheet seal ({key})")
            continue
        index = SHEETS.index(key)
        problem = _check_sheet(path, index, titles[index] if index < len(titles) else key, key, summary)
        if problem:
            out.append(problem)
    return out


def _check_sheet(path, index: int, title: str, key: str, summary: dict) -> str | None:
    try:
        seal = SheetSeal(key, [int(c) for c in summary["columns"]])
        rows = read_rows(path, index)
        header = list(next(rows))
    except (KeyError, TypeError, ValueError, IndexError, StopIteration):
        return f"sheet {title}: missing or unreadable"
    width = len(header) - 1  # the Row check column is the last
    first = None
    for number, values in enumerate(rows, start=2):
        values = list(values)
        if not any(v is not None for v in values):
            continue
        cells, check = values[:width], (values[width] if len(values) > width else None)
        cells += [None] * (width - len(cells))
        seal.row(cells)
        if first is None:
            pos = first_difference(seal, cells, check if isinstance(check, str) else None)
            if pos is not None:
                first = (number, header[seal.columns[pos]] if seal.columns[pos] < width else "?")
    if seal.frontier.size == summary.get("rows") and seal.frontier.root.hex() == summary.get("root"):
        return (f"sheet {title}, row {first[0]}, column {header[width]}: the check was changed" if first else None)
    if first:
        return f"sheet {title}, row {first[0]}, column {first[1]}: not the value that was exported"
    return f"sheet {title}: rows were added, removed or moved since the export"
