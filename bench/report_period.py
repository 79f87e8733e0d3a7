"""The period report at scale: a year at N cases (100,000 by default) and 20 audit events per case
(2,000,000), against a plain SQL GROUP BY over the current rows.

    python -m bench.report_period [--cases 100000] [--db sqlite|postgresql|both] [--keep NAME]

The database is built in bulk: cases registered over a year, each with its kept facts (registered;
decided for two in three; handed over for one in two; released by a court for one in ten) and
20 audit events (the report reads events for its digest as of its time). It prints the seconds of
the report (as of now, and as of a past time), of the bare GROUP BY, and their ratio. Goal: a year
at 100,000 cases in under 2 s on PostgreSQL.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta

EVENTS_PER_CASE = 20
REGIONS = ["Mopti", "Gao", "Kidal", "Tombouctou", "Ségou", "Sikasso", "Kayes", "Koulikoro"]
YEAR_START = datetime(2025, 1, 1, tzinfo=UTC)


def ts(moment: datetime) -> str:
    from caseflow.audit.hashing import format_ts

    return format_ts(moment)


def build(url: str, n: int) -> None:
    from sqlalchemy import insert, select, text

    from bench.common import bench_database
    from caseflow.auth.models import Organisation, User
    from caseflow.cases.models import Case
    from caseflow.reports.models import CaseFacts

    with bench_database(url) as db:
        registrar = db.session.scalar(select(User).where(User.email == "registrar@caseflow.demo"))
        partner = db.session.scalar(select(Organisation.id).where(Organisation.kind == "partner").limit(1))
        for first in range(0, n, 5000):
            cases, facts = [], []
            for i in range(first, min(first + 5000, n)):
                enc = YEAR_START + timedelta(minutes=5 * i * 525_600 // (5 * n))
                cases.append({"code": f"BR-2025-{i:07d}", "workflow": "detained_child", "state": "under_review",
                              "version": 3, "state_entered_at": enc, "created_at": enc + timedelta(hours=2),
                              "created_by_id": registrar.id, "registering_org_id": registrar.organisation_id,
                              "sex": ("male", "female", "unknown")[i % 3], "claimed_age": 12 + i % 7,
                              "age_at_encounter": 12 + i % 7, "region": REGIONS[i % len(REGIONS)],
                              "encounter_at": enc, "detaining_authority": f"Unit {i % 20}", "facility_type": "prison",
                              "charge_category": ("association", "terrorism", None)[i % 3], "nationality": "Malian"})
            db.session.execute(insert(Case), cases)
            ids = dict(db.session.execute(select(Case.code, Case.id).where(
                Case.code.in_([c["code"] for c in cases]))).all())
            for i, c in enumerate(cases, start=first):
                base = {"workflow": "detained_child", "sex": c["sex"], "age": c["age_at_encounter"],
                        "region": c["region"], "authority": c["detaining_authority"], "facility": "prison",
                        "charge": c["charge_category"], "nationality": "Malian", "encounter_at": ts(c["encounter_at"]),
                        "custody_start": None, "custody_end": None, "closed_at": None, "closed_reason": None,
                        "registering_org_id": registrar.organisation_id, "receiving_org_id": None,
                        "assessments": [], "decisions": [], "handover": None}
                versions = [(c["created_at"], base)]
                if i % 3:
                    decided = c["encounter_at"] + timedelta(days=2 + i % 9)
                    versions.append((decided, dict(base, decisions=[["release", ts(decided)]],
                                                   receiving_org_id=partner)))
                    if i % 2:
                        handed = c["encounter_at"] + timedelta(hours=30 + i % 60)
                        versions.append((max(handed, decided) + timedelta(minutes=5), dict(
                            versions[-1][1], handover={"at": ts(handed), "elapsed_seconds": 3600 * (30 + i % 60),
                                                       "late": 30 + i % 60 > 48})))
                elif i % 10 == 0:
                    versions.append((c["encounter_at"] + timedelta(days=20),
                                     dict(base, custody_end=ts(c["encounter_at"] + timedelta(days=19)))))
                for k, (at, f) in enumerate(versions):
                    until = versions[k + 1][0] if k + 1 < len(versions) else None
                    facts.append({"case_id": ids[c["code"]], "receiving_org_id": f["receiving_org_id"],
                                  "valid_from": at, "valid_to": until, "event_id": None, "action": "bench",
                                  "facts": f})
            db.session.execute(insert(CaseFacts), facts)
            db.commit()
        events(db, n)
        db.commit()
        db.session.execute(text("ANALYZE"))
        db.commit()


PG_EVENTS = (
    "INSERT INTO audit_events (chain, seq, occurred_at, action, case_id, details, ident_digest, hash_version, "
    "prev_hash, hash) SELECT c.code, s, c.created_at + s * interval '1 hour', 'bench', c.id, '{}', '', 1, :zeros, "
    "md5(c.code || s) || md5(s || c.code) FROM cases c CROSS JOIN generate_series(1, :k) AS s")
SQLITE_EVENTS = (
    "WITH RECURSIVE n(s) AS (SELECT 1 UNION ALL SELECT s + 1 FROM n WHERE s < :k) "
    "INSERT INTO audit_events (chain, seq, occurred_at, action, case_id, details, ident_digest, hash_version, "
    "prev_hash, hash) SELECT c.code, n.s, strftime('%Y-%m-%d %H:%M:%f', c.created_at, '+' || n.s || ' hours'), "
    "'bench', c.id, '{}', '', 1, :zeros, lower(hex(randomblob(32))) FROM cases c CROSS JOIN n")


def events(db, n: int) -> None:
    """EVENTS_PER_CASE events on each case's chain, and its head, in SQL (the bytes are not checked here)."""
    from sqlalchemy import text

    pg = db.session.get_bind().dialect.name == "postgresql"
    db.session.execute(text(PG_EVENTS if pg else SQLITE_EVENTS), {"k": EVENTS_PER_CASE, "zeros": "0" * 64})
    db.session.execute(text(
        "INSERT INTO audit_chain_heads (chain, seq, hash, occurred_at) "
        "SELECT chain, seq, hash, occurred_at FROM audit_events WHERE seq = :k"), {"k": EVENTS_PER_CASE})


def measure(url: str, repeat: int = 3) -> None:
    from sqlalchemy import func, select

    from bench.common import bench_database
    from caseflow.auth.models import User
    from caseflow.cases.models import Case
    from caseflow.reports.period import Period
    from caseflow.reports.period import build as build_report

    with bench_database(url) as db:
        auditor = db.session.scalar(select(User).where(User.email == "auditor@caseflow.demo"))
        events = db.session.scalar(select(func.count()).select_from(text_table("audit_events")))
        cases = db.session.scalar(select(func.count()).select_from(Case))
        year = dict(start=date(2025, 1, 1), end=date(2025, 12, 31), by=("sex", "age_band"))

        def report(as_of):
            t0 = time.perf_counter()
            r = build_report(db.session, Period(as_of=as_of, **year), auditor, min_cell=5)
            db.rollback()
            return time.perf_counter() - t0, r

        def bare():
            lo, hi = datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
            t0 = time.perf_counter()
            db.session.execute(select(Case.sex, Case.age_at_encounter, func.count()).where(
                Case.encounter_at >= lo, Case.encounter_at < hi).group_by(Case.sex, Case.age_at_encounter)).all()
            db.rollback()
            return time.perf_counter() - t0

        now = datetime.now(UTC)
        past = datetime(2025, 10, 1, tzinfo=UTC)
        runs_now = [report(now) for _ in range(repeat)]
        runs_past = [report(past) for _ in range(repeat)]
        bares = [bare() for _ in range(repeat)]
        r_now = statistics.median(t for t, _ in runs_now)
        r_past = statistics.median(t for t, _ in runs_past)
        b = statistics.median(bares)
        children = runs_now[0][1].children
        print(f"{cases:,} cases, {events:,} events; {children:,} children in the year's figures")
        print(f"period report, a year, as of now:        {r_now:6.2f} s  (goal < 2 s)")
        print(f"period report, a year, as of 1 Oct 2025: {r_past:6.2f} s")
        print(f"bare GROUP BY over the current rows:     {b:6.3f} s  -> report / bare = {r_now / b:5.1f}")


def text_table(name: str):
    from sqlalchemy import table

    return table(name)


def main() -> None:
    from bench.common import scratch_url

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--keep", help="build under this name (a path for SQLite) and keep it; reused if it exists")
    args = parser.parse_args()
    for kind in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
        with tempfile.TemporaryDirectory(prefix="caseflow-bench-") as tmp, \
                scratch_url(kind, args.keep, tmp) as (url, fresh):
            if fresh:
                t0 = time.perf_counter()
                build(url, args.cases)
                print(f"\n== {kind}: built in {time.perf_counter() - t0:.0f} s")
            else:
                print(f"\n== {kind}: reusing {args.keep}")
            measure(url)


if __name__ == "__main__":
    main()
