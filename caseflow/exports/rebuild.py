"""The sheets beside the History rebuilt by folding it — the same evolve steps as ``audit verify``
(each stage's ``evolve.py``, ``workflow.fold``) — and compared with what the workbook shows: each
case's state and last handover, its review rounds and their votes, its age assessments, handovers
and referrals. A sheet that was re-sealed and re-signed (or written from rows changed behind the
application's back) still has to agree with the hashed history beside it.

Compared where the file's words do not depend on its language or on the database: codes, numbers,
times, yes/no, and state labels in any of the workflow's languages.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from caseflow.cases.checks import record_of
from caseflow.exports import columns
from caseflow.exports.seal import cell_value
from caseflow.spreadsheet import read_rows
from caseflow.workflow.engine import catalogue

NUMBER = re.compile(r"\d+")


def _hashed_second(text) -> str | None:
    """A hashed time (ISO text with microseconds) as the sheets write it: to the second, cut."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return str(text)
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.replace(microsecond=0).isoformat()


def _cell_second(value) -> str | None:
    return cell_value(value) if isinstance(value, datetime) else (None if value is None else str(value))


def _rows(path, index: int):
    rows = read_rows(path, index)
    header = list(next(rows, []) or [])
    for number, values in enumerate(rows, start=2):
        if any(v is not None for v in values):
            yield header, number, list(values)


def expected_records(path, events_by_chain: dict) -> tuple[dict, list[str]]:
    """Each case of the Cases sheet replayed from its History events: code -> (workflow, Expected);
    and the rows whose Workflow cell names no workflow this application knows (nothing to replay
    them with: reported, never skipped in silence)."""

    versions = catalogue().versions
    by_label = {}
    for (name, _version), wf in versions.items():
        for text in (wf.label or {}).values():
            by_label[str(text)] = name
    at = [k for k, _h, _w in columns.CASES].index("workflow")
    out, unknown = {}, []
    for header, number, values in _rows(path, columns.SHEETS.index("cases")):
        code, workflow = values[0], by_label.get(str(values[at]))
        if workflow is None:
            unknown.append(f"row {number}, column {header[at]}: not a workflow this application knows "
                           f"({values[at]})")
        elif code in events_by_chain:
            out[code] = (workflow, record_of(events_by_chain[code], versions, workflow))
    return out, unknown


@dataclass
class Check:
    """One workbook held against its replayed History: the problems found, sheet by sheet."""

    path: object
    titles: list[str]
    expected: dict
    chains: dict
    out: list = field(default_factory=list)

    def title(self, key) -> str:
        i = columns.SHEETS.index(key)
        return self.titles[i] if i < len(self.titles) else key

    def report(self, key, header, number, col, want, have) -> None:
        self.out.append(f"sheet {self.title(key)}, row {number}, column {header[col]}: differs from the History "
                        f"(it makes {want}, the sheet says {have})")

    def per_case(self, key) -> dict:
        rows = defaultdict(list)
        for header, number, values in _rows(self.path, columns.SHEETS.index(key)):
            rows[values[0]].append((header, number, values))
        return rows


def rebuild_problems(path, events, titles: list[str]) -> list[str]:
    """The first difference of each sheet from its replayed History, as "sheet, row, column"."""
    chains = defaultdict(list)
    for ev in events:
        chains[ev.chain].append(ev)
    expected, unknown = expected_records(path, chains)
    c = Check(path, titles, expected, chains)
    c.out += [f"sheet {titles[columns.SHEETS.index('cases')]}, {u}" for u in unknown[:1]]
    for check in (_cases, _decisions, _assessments, _handovers, _referrals):
        check(c)
    return c.out


def _cases(c: Check) -> None:
    versions = catalogue().versions
    keys = [k for k, _h, _w in columns.CASES]
    state_at, handed_at = keys.index("state"), keys.index("handed_over_at")
    for header, number, values in _rows(c.path, columns.SHEETS.index("cases")):
        code = values[0]
        if code not in c.expected:
            if code not in c.chains:
                c.out.append(f"sheet {c.title('cases')}, row {number}, column {header[0]}: no History for this case")
            continue
        workflow, x = c.expected[code]
        labels = {x.state} | {str(text) for (name, _v), wf in versions.items() if name == workflow
                              for text in (wf.states.get(x.state) or {}).values()}
        if values[state_at] not in labels:
            return c.report("cases", header, number, state_at, x.state, values[state_at])
        handovers = x.part("handovers")
        last = _hashed_second(handovers[-1]) if handovers else None
        if _cell_second(values[handed_at]) != last:
            return c.report("cases", header, number, handed_at, last or "-", values[handed_at] or "-")


def _decisions(c: Check) -> None:
    seen = defaultdict(int)
    for header, number, values in _rows(c.path, columns.SHEETS.index("decisions")):
        code, n = values[0], values[1]
        if code not in c.expected:
            continue
        rounds = {r.number: r for r in c.expected[code][1].part("rounds")}
        seen[code] += 1
        r = rounds.get(n)
        if r is None:
            c.report("decisions", header, number, 1, "no such round", n)
            break
        votes = sum(int(v) for v in NUMBER.findall(str(values[6] or "")))
        if votes != len(r.votes):
            c.report("decisions", header, number, 6, f"{len(r.votes)} votes", values[6] or "-")
            break
        dissent = sum(1 for o in r.votes.values() if r.decision and o != r.decision)
        if (values[7] or 0) != dissent:
            c.report("decisions", header, number, 7, dissent, values[7])
            break
    _counts(c.out, c.title("decisions"), {code: len(e[1].part("rounds")) for code, e in c.expected.items()}, seen)


def _assessments(c: Check) -> None:
    per_case = c.per_case("assessments")
    for code, (_wf, x) in sorted(c.expected.items()):
        rows = per_case.get(code, [])
        for (header, number, values), (status, appeal, low, high) in zip(rows, x.part("assessments"), strict=False):
            wrong = next(((col, want) for col, want in ((4, status), (2, bool(appeal)), (7, low), (8, high))
                          if values[col] != want), None)
            if wrong is not None:
                c.report("assessments", header, number, wrong[0], wrong[1], values[wrong[0]])
                break
        if len(rows) != len(x.part("assessments")):
            c.out.append(f"sheet {c.title('assessments')}: case {code} has {len(rows)} rows, its History makes "
                         f"{len(x.part('assessments'))}")


def _handovers(c: Check) -> None:
    per_case = c.per_case("handovers")
    for code, (_wf, x) in sorted(c.expected.items()):
        rows = per_case.get(code, [])
        for (header, number, values), at in zip(rows, x.part("handovers"), strict=False):
            if _cell_second(values[1]) != _hashed_second(at):
                c.report("handovers", header, number, 1, _hashed_second(at), values[1])
                break
        if len(rows) != len(x.part("handovers")):
            c.out.append(f"sheet {c.title('handovers')}: case {code} has {len(rows)} rows, its History makes "
                         f"{len(x.part('handovers'))}")


def _referrals(c: Check) -> None:
    seen = defaultdict(int)
    for _header, _number, values in _rows(c.path, columns.SHEETS.index("referrals")):
        seen[values[0]] += 1
    _counts(c.out, c.title("referrals"), {code: len(e[1].part("referrals")) for code, e in c.expected.items()}, seen)


def _counts(out: list, title: str, want: dict, have: dict) -> None:
    for code in sorted(set(want) | set(have)):
        if want.get(code, 0) != have.get(code, 0) and code in want:
            out.append(f"sheet {title}: case {code} has {have.get(code, 0)} rows, its History makes {want[code]}")
            return
