"""The auditor's workbook, streamed from the database in batches into openpyxl's write-only mode:
memory stays flat however many rows there are."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from caseflow import vocab
from caseflow.assessment.age import age_at, age_band
from caseflow.assessment.models import AgeAssessment
from caseflow.audit import sealing
from caseflow.audit.digest import merkle_root
from caseflow.audit.hashing import HASH_VERSION, canonical_json, format_ts
from caseflow.audit.models import AuditEvent, event_columns
from caseflow.audit.sealing import Erased
from caseflow.audit.signing import signer
from caseflow.auth.models import Organisation
from caseflow.canonical import parse
from caseflow.cases.history import merged, sealed_values, withheld_fields
from caseflow.cases.models import Case, CaseClock
from caseflow.cases.scope import visible_to
from caseflow.cases.words import Words, details_in_words, words
from caseflow.db import utcnow
from caseflow.exports import columns
from caseflow.exports.seal import SheetSeal, cell_value, statement
from caseflow.handover.models import Handover
from caseflow.i18n import current_language, label
from caseflow.labels import field_label
from caseflow.reintegration.models import Referral
from caseflow.review.models import ReviewRound, Vote
from caseflow.review.outcomes import VOTE_OUTCOMES
from caseflow.spreadsheet import SafeWorkbook
from caseflow.version import VERSION
from caseflow.workflow.engine import get_workflow

BATCH = 1000


@dataclass
class ExportFilters:
    states: list[str] = field(default_factory=list)
    date_from: date | None = None
    date_to: date | None = None
    region: str | None = None
    organisation_id: int | None = None
    codes: list[str] = field(default_factory=list)

    def describe(self) -> dict:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.__dict__.items() if v}

    @classmethod
    def from_params(cls, params: dict) -> ExportFilters:
        """The filters ``describe`` wrote (a job's parameters)."""
        values = dict(params)
        for key in ("date_from", "date_to"):
            if values.get(key):
                values[key] = date.fromisoformat(values[key])
        return cls(**values)


@dataclass
class ExportResult:
    counts: dict
    chains_root: str
    chains: int
    sha256: str = ""


def case_query(user, filters: ExportFilters):
    stmt = select(Case.id).where(visible_to(user))
    if filters.states:
        stmt = stmt.where(Case.state.in_(filters.states))
    if filters.date_from:
        stmt = stmt.where(Case.created_at >= datetime.combine(filters.date_from, time.min, tzinfo=UTC))
    if filters.date_to:
        stmt = stmt.where(Case.created_at < datetime.combine(filters.date_to + timedelta(days=1), time.min, tzinfo=UTC))
    if filters.region:
        stmt = stmt.where(Case.region == filters.region)
    if filters.organisation_id:
        stmt = stmt.where((Case.registering_org_id == filters.organisation_id)
                          | (Case.receiving_org_id == filters.organisation_id))
    if filters.codes:
        stmt = stmt.where(Case.code.in_(filters.codes))
    return stmt


def count_events(session, user, filters: ExportFilters) -> int:
    ids = case_query(user, filters).subquery()
    return session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id.in_(select(ids.c.id))))


def _label(mapping, code):
    return str(mapping.get(code, code)) if code else None


@dataclass
class Sheets:
    """The workbook's sheets, each sealed row by row."""

    about: object
    cases: object
    history: object
    stages: dict
    case_cols: list


def open_sheets(book, include_identity: bool) -> Sheets:
    about = book.sheet(_("About"), ["key", _("Field"), _("Value")], [22, 34, 90])
    case_cols = columns.CASES + (columns.IDENTITY_COLUMNS if include_identity else [])
    cases_sheet = book.sheet(_("Cases"), [str(h) for _k, h, _w in case_cols], [w for *_x, w in case_cols])
    history = book.sheet(_("History"), [str(h) for _k, h, _w in columns.HISTORY], [w for *_x, w in columns.HISTORY])
    stages = {
        "decisions": book.sheet(_("Decisions"), *_hw(columns.DECISIONS)),
        "assessments": book.sheet(_("Assessments"), *_hw(columns.ASSESSMENTS)),
        "handovers": book.sheet(_("Handovers"), *_hw(columns.HANDOVERS)),
        "referrals": book.sheet(_("Referrals"), *_hw(columns.REFERRALS)),
    }
    check = _("Row check")
    cases_sheet.seal_with(SheetSeal("cases", list(range(len(case_cols)))), check)
    history.seal_with(SheetSeal("history", columns.HISTORY_READ), check)
    for key, sheet in stages.items():
        sheet.seal_with(SheetSeal(key, list(range(len(sheet.headers)))), check)
    return Sheets(about, cases_sheet, history, stages, case_cols)


@dataclass
class Batch:
    """One batch of cases and their stages' rows, read as they are now."""

    cases: list
    flows: dict
    assessments: dict
    handovers: dict
    rounds: dict
    votes: dict
    clocks: dict
    referrals: dict


def read_batch(session, batch: list[int]) -> Batch:
    fresh = {"populate_existing": True}  # the rows as they are now, whatever the session held before

    def rows(stmt, key=None):
        return _group(session.scalars(stmt, execution_options=fresh) if key is None
                      else session.execute(stmt, execution_options=fresh), key=key)

    cases = list(session.scalars(select(Case).where(Case.id.in_(batch)).order_by(Case.code)
                                 .options(selectinload(Case.key_row), selectinload(Case.identity_row)),
                                 execution_options=fresh))
    return Batch(
        cases=cases,
        flows={c.code: get_workflow(c.workflow, c.workflow_version) for c in cases},
        assessments=rows(select(AgeAssessment).where(AgeAssessment.case_id.in_(batch)).order_by(AgeAssessment.id)),
        handovers=rows(select(Handover).where(Handover.case_id.in_(batch)).order_by(Handover.id)),
        rounds=rows(select(ReviewRound).where(ReviewRound.case_id.in_(batch)).order_by(ReviewRound.number)),
        votes=rows(select(ReviewRound.case_id, Vote).join(Vote, Vote.round_id == ReviewRound.id)
                   .where(ReviewRound.case_id.in_(batch)), key=0),
        clocks=rows(select(CaseClock).where(CaseClock.case_id.in_(batch), CaseClock.stopped_at.is_(None))),
        referrals=rows(select(Referral).where(Referral.case_id.in_(batch)).order_by(Referral.id)),
    )


def case_row(case, wf, b: Batch, orgs: dict, include_identity: bool) -> dict:
    """The Cases sheet's cells of one case, by column key."""
    concluded = [a for a in b.assessments.get(case.id, []) if a.status == "concluded"]
    age = age_at(case, concluded[-1] if concluded else None)
    handover = (b.handovers.get(case.id) or [None])[-1]
    release = next((r for r in b.rounds.get(case.id, []) if r.decision == "release"), None)
    return {
        "code": case.code, "state": wf.state_label(case.state, _lang()), "sex": _label(vocab.SEX, case.sex),
        "effective_age": age.years, "age_basis": age.basis, "age_band": age_band(age.years),
        "region": case.region, "detaining_authority": case.detaining_authority,
        "facility_type": _label(vocab.FACILITY_TYPES, case.facility_type),
        "encounter_at": case.encounter_at, "registered_at": case.created_at,
        "decided_at": release.closed_at if release else None,
        "handed_over_at": handover.handed_over_at if handover else None,
        "hours_to_handover": handover.hours_since_encounter if handover else None,
        "late": handover.late if handover else None,
        "running_clocks": "; ".join(
            f"{wf.clocks[k.name].label[_lang()] if k.name in wf.clocks else k.name}: "
            f"{k.due_at:%Y-%m-%d %H:%M}" for k in b.clocks.get(case.id, []) if k.due_at),
        "receiving_org": orgs.get(case.receiving_org_id),
        "closed_reason": _label(vocab.CLOSURE_REASONS, case.closed_reason),
        **identity_cells(case, include_identity),
        "workflow": label(wf.label), "workflow_fields": own_fields_text(case, wf, include_identity),
    }


def decision_rows(case, b: Batch):
    for r in b.rounds.get(case.id, []):
        tally: dict[str, int] = {}
        for _case_id, v in b.votes.get(case.id, []):
            if v.round_id == r.id:
                tally[v.outcome] = tally.get(v.outcome, 0) + 1
        yield [case.code, r.number, r.opened_at, r.closed_at, _label(VOTE_OUTCOMES, r.decision),
               _label(vocab.OFFENCE_CATEGORIES, r.offence_category),
               ", ".join(f"{_label(VOTE_OUTCOMES, k)}: {n}" for k, n in tally.items()),
               sum(n for k, n in tally.items() if r.decision and k != r.decision), r.decision_reasons,
               r.next_review_date]


def assessment_rows(case, b: Batch, orgs: dict):
    for a in b.assessments.get(case.id, []):
        yield [case.code, a.requested_at, a.is_appeal, orgs.get(a.assessor_org_id), a.status,
               _label(vocab.CONSENT, a.consent), ", ".join(str(vocab.ASSESSMENT_METHODS[m]) for m in a.method_list),
               a.min_age, a.max_age, a.concluded_at, a.appeal_deadline]


def handover_rows(case, b: Batch, orgs: dict):
    for h in b.handovers.get(case.id, []):
        yield [case.code, h.handed_over_at, h.hours_since_encounter, h.late, orgs.get(h.receiving_org_id),
               h.handing_unit, h.place, h.medical_check, h.document_reference]


def referral_rows(case, b: Batch):
    for ref in b.referrals.get(case.id, []):
        yield [case.code, _label(vocab.SERVICE_TYPES, ref.service_type), ref.provider, ref.referred_on,
               _label(vocab.REFERRAL_STATUSES, ref.status), ref.updated_at]


def write_history(session, sheet, b: Batch, include_identity: bool, w: Words, opener, heads: list) -> int:
    """The history of a batch's cases, whole chains, in order; each chain's last event in ``heads``."""
    last, done = None, 0
    stmt = (select(*event_columns()).where(AuditEvent.chain.in_([c.code for c in b.cases]))
            .order_by(AuditEvent.chain, AuditEvent.seq).execution_options(yield_per=5000))
    with session.execute(stmt) as events:  # closes a server-side cursor even on an error
        for ev in events:
            sheet.append(history_row(ev, b.flows[ev.chain], include_identity, w, opener), columns.HISTORY_TRUSTED)
            if last is not None and last[0] != ev.chain:
                heads.append(last)
            last = (ev.chain, ev.seq, ev.hash)
            done += 1
    if last is not None:
        heads.append(last)
    return done


def about_rows(user, filters: ExportFilters, used_workflows: set, include_identity: bool, heads: list,
               root: str, counts: dict) -> list[tuple]:
    return [
        ("exported_by", _("Exported by"), f"{user.full_name} <{user.email}>"),
        ("role", _("Role"), user.role),
        ("organisation", _("Organisation"), user.organisation.name),
        ("exported_at", _("Exported at (UTC)"), format_ts(utcnow())),
        ("filters", _("Filters"), canonical_json(filters.describe()).decode()),
        ("application", _("Application version"), f"Caseflow {VERSION}"),
        ("workflow", _("Workflow"), ", ".join(sorted(used_workflows)) or "-"),
        ("identifying_data", _("Identifying data included"), "yes" if include_identity else "no"),
        ("chains", _("Case chains in this file"), str(len(heads))),
        ("chains_root", _("Digest of the chains in this file"), root),
        ("hash_version", _("Hash version"), str(HASH_VERSION)),
        *[(f"rows_{name}", _("Rows: %(sheet)s", sheet=name), str(n)) for name, n in counts.items()],
    ]


def write_workbook(session, target, *, user, filters: ExportFilters, include_identity: bool,
                   progress: Callable[[int], None] | None = None) -> ExportResult:
    """Write the workbook to ``target`` (a path or binary file). ``progress(n)`` is told of rows."""

    with SafeWorkbook(target) as book:
        sh = open_sheets(book, include_identity)
        orgs = {o.id: o.name for o in session.scalars(select(Organisation))}
        ids = list(session.scalars(case_query(user, filters).order_by(Case.id)))
        heads: list[tuple[str, int, str]] = []
        used_workflows: set[str] = set()
        opener = sealing.opener(session)  # the free text of the History's words; with identity, the whole part
        done = 0
        w = words()  # labels resolved once, not per row
        for start in range(0, len(ids), BATCH):
            b = read_batch(session, ids[start:start + BATCH])
            used_workflows.update(f"{wf.name} v{wf.version}" for wf in b.flows.values())
            for case in b.cases:
                row = case_row(case, b.flows[case.code], b, orgs, include_identity)
                sh.cases.append(row[k] for k, _h, _w in sh.case_cols)
                for key, made in (("decisions", decision_rows(case, b)),
                                  ("assessments", assessment_rows(case, b, orgs)),
                                  ("handovers", handover_rows(case, b, orgs)), ("referrals", referral_rows(case, b))):
                    for cells in made:
                        sh.stages[key].append(cells)
            done += write_history(session, sh.history, b, include_identity, w, opener, heads)
            if progress:
                progress(done)
        counts = {"cases": sh.cases.rows, "history": sh.history.rows,
                  **{name: sheet.rows for name, sheet in sh.stages.items()}}
        root = merkle_root(heads)
        rows = about_rows(user, filters, used_workflows, include_identity, heads, root, counts)
        rows.extend(sealed_about(rows, [sh.cases, sh.history, *sh.stages.values()]))
        for row in rows:
            sh.about.append(row)
        book.save()
        if progress:
            progress(done)
    return ExportResult(counts=counts, chains_root=root, chains=len(heads))


def sealed_about(about_rows, sealed) -> list[tuple]:
    """The sheets' seals and the signature over them and every About value (none without a key)."""

    seals = canonical_json({s.seal.key: s.seal.summary() for s in sealed}).decode()
    rows = [("sheet_seals", _("Seals of the sheets (rows, Merkle root, columns)"), seals)]
    keys = signer()
    if not keys.enabled:
        return rows
    about = {k: cell_value(v) for k, _label, v in [*about_rows, *rows]}
    sheets = {s.seal.key: s.seal.summary() for s in sealed}
    return [*rows, ("signing_key", _("Audit public key"), keys.public),
            ("signature", _("Signature of this About sheet and the seals"), keys.sign(statement(about, sheets)))]


def identity_cells(case, include_identity: bool) -> dict:
    """The identity columns: opened only for an export with identity; an erased one says so."""
    if not include_identity:
        return {}
    if case.identity_erased:
        return {"given_name": _("identity erased"), "family_name": None, "other_names": None, "date_of_birth": None}
    return {"given_name": case.given_name, "family_name": case.family_name, "other_names": case.other_names,
            "date_of_birth": case.date_of_birth}


def own_fields_text(case, wf, include_identity: bool) -> str | None:
    """The fields only this case's workflow records, in words ("Campaign: GAO-2026-1; Unit: …"); an
    identifying one (a service number) only in an export with identity."""

    parts = []
    for name, spec in wf.fields.items():
        if spec.identifying and (not include_identity or case.identity_erased):
            continue
        value = case.value(name)
        if value in (None, ""):
            continue
        if spec.choices and value in spec.choices:
            value = label(spec.choices[value])
        parts.append(f"{field_label(name)}: {value}")
    return "; ".join(parts) or None


def history_row(ev, wf, include_identity: bool, w: Words, opener=None) -> list:
    """One History row, in columns.HISTORY order. ``ev`` comes from ``event_columns()``: its JSON
    is the stored canonical text, written as it is (what the hash covers) and decoded once for words.
    The words show the free text of the sealed part (opened with the case's key, ``opener``), not
    what identifies the child; with identity, the whole part is written, opened, beside them. An
    erased case's part is left out (its digest stays, so the chain still verifies)."""

    identifying = None
    if include_identity and ev.identifying_json not in (None, "null"):
        try:
            identifying = opener(ev, ev.identifying_json) if opener else ev.identifying_json
        except Erased:
            identifying = None
    details = ev.details_json or "{}"
    said = merged(parse(details), sealed_values(opener, ev, ev.identifying_json), withheld_fields(wf))
    return [
        ev.chain, ev.seq, ev.occurred_at.replace(tzinfo=None), _hashed_time(ev), ev.actor_id,
        ev.actor_name, ev.actor_role, ev.actor_org, ev.action, w.action(wf, ev.action), ev.from_state, ev.to_state,
        "\n".join(details_in_words(said, w)), details,
        ev.ident_digest or None, identifying, ev.request_id, ev.client_addr, ev.hash_version, ev.prev_hash, ev.hash,
        ev.case_id,
    ]


def _hashed_time(ev) -> str:
    """The time as the hash holds it: as the database wrote it (``event_columns``), or formatted here."""
    at = ev.at_text
    return at if at is not None and len(at) == 27 else format_ts(ev.occurred_at)


def _hw(cols):
    return [str(h) for _k, h, _w in cols], [w for *_x, w in cols]


def _group(rows, key=None) -> dict:
    out: dict = {}
    for r in rows:
        k = r[key] if key is not None else r.case_id
        out.setdefault(k, []).append(r)
    return out


def _lang() -> str:
    return current_language()

