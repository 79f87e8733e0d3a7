"""Offline verification of an exported workbook: recompute every chain in the History sheet and
check it against the digest on the About sheet — with or without identifying data in the file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from types import SimpleNamespace
from zipfile import BadZipFile

from caseflow.audit.digest import merkle_root
from caseflow.audit.verify import Break, Report, verify_events
from caseflow.exports.columns import HISTORY_KEYS
from caseflow.spreadsheet import read_rows

ABOUT, HISTORY = 0, 2


class UnreadableExport(ValueError):
    """Not a Caseflow export, or not a workbook at all."""


@dataclass
class ExportReport:
    report: Report
    about: dict
    root_expected: str
    root_found: str

    @property
    def ok(self) -> bool:
        return self.report.ok and self.root_expected == self.root_found

    def problems(self) -> list[str]:
        out = [b.describe() for b in self.report.breaks]
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


def verify_export(path, passphrase: str | None = None) -> ExportReport:
    """Every chain of the workbook's History against its About digest; an encrypted workbook (one
    with identifying data) is opened with its passphrase first."""
    from caseflow.exports.protect import WrongPassphrase, decrypted_copy, is_encrypted

    if is_encrypted(path):
        try:
            plain = decrypted_copy(path, passphrase)
        except WrongPassphrase as exc:
            raise UnreadableExport(f"{path}: {exc}") from None
        try:
            return verify_export(plain)
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
    return ExportReport(report, about, expected, found)
