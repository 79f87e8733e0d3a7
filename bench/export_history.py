"""Benchmark: exporting N history rows (default 1,000,000) to Excel — rows per second and peak
memory — beside bare openpyxl write-only writing the same rows from the same query, in the same
run. Caseflow writes with XlsxWriter (constant_memory) and patches nothing. XlsxWriter alone writing
the same rows (no labels, words, seals or checks) is the yardstick: the most any export through it
could do. Goal: at least 0.9 times XlsxWriter alone, peak memory under 250 MB and flat in N.

    python -m bench.export_history [--rows N] [--keep DB]

Each measurement runs in a fresh process, and its peak is the writing's own: the process's high-water
mark is reset once the application is made (Linux's ``/proc/self/clear_refs``; the application's
start-up peaked higher than any export, which made every side print the same figure) and read when
the file is written. What the process held before writing is printed beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

PER_CASE = 25


def populate(url: str, rows: int) -> None:
    """Cases and hash-chained audit events, inserted in bulk (the real append path is one event per
    request and is measured elsewhere)."""
    from sqlalchemy import insert

    from bench.common import bench_database
    from caseflow.audit.hashing import event_hash
    from caseflow.audit.models import GENESIS_HASH, AuditEvent
    from caseflow.cases.models import Case

    with bench_database(url) as db:
        start = datetime(2026, 1, 1, tzinfo=UTC)
        n_cases = rows // PER_CASE
        for first in range(0, n_cases, 2000):
            db.session.execute(insert(Case), [
                {"code": f"CF-2026-{i:07d}", "workflow": "detained_child", "state": "under_review", "version": PER_CASE,
                 "state_entered_at": start, "created_at": start + timedelta(minutes=i), "created_by_id": 2,
                 "registering_org_id": 4, "sex": "male", "claimed_age": 15, "region": "Mopti",
                 "encounter_type": "captured", "encounter_at": start, "detaining_authority": "Gendarmerie",
                 "facility_type": "prison"} for i in range(first, min(first + 2000, n_cases))])
            db.commit()
        ids = dict(db.session.execute(Case.__table__.select().with_only_columns(Case.code, Case.id)).all())
        batch = []

        class E:
            pass

        prev = GENESIS_HASH
        for i in range(rows):
            case_no, seq = divmod(i, PER_CASE)
            e = E()
            e.chain, e.seq = f"CF-2026-{case_no:07d}", seq + 1
            e.occurred_at = start + timedelta(seconds=i)
            e.actor_id, e.actor_name, e.actor_role, e.actor_org = 6, "Claire Martin", "reviewer", "UN mission"
            e.action, e.from_state, e.to_state = "cast_vote", "under_review", "under_review"
            e.details = {"payload": {"outcome": "release", "offence_category": "support_tasks",
                                     "reasons": "Association only; hand over without delay."}, "round": 1}
            e.ident_digest, e.request_id, e.client_addr = "", "5f2c0e1a9b7d3c11", "10.0.0.8"
            e.prev_hash = GENESIS_HASH if seq == 0 else prev
            e.hash = prev = event_hash(e)
            row = {k: getattr(e, k) for k in ("chain", "seq", "occurred_at", "actor_id", "actor_name", "actor_role",
                                              "actor_org", "action", "from_state", "to_state", "details",
                                              "ident_digest", "request_id", "client_addr", "prev_hash", "hash")}
            row.update(case_id=ids[e.chain], hash_version=1, identifying=None)
            batch.append(row)
            if len(batch) == 20000:
                db.session.execute(insert(AuditEvent), batch)
                db.commit()
                batch = []
        if batch:
            db.session.execute(insert(AuditEvent), batch)
            db.commit()


def measure(kind: str, url: str, out: str) -> dict:
    """Runs in a child process: one export, timed, with its own peak memory."""
    from sqlalchemy import select

    from caseflow import create_app
    from caseflow.audit.models import AuditEvent
    from caseflow.auth.models import User
    from caseflow.extensions import db

    app = create_app({"CASEFLOW_ENV": "testing", "SECRET_KEY": "bench", "DATABASE_URL": url})
    with app.test_request_context():
        before_mb = reset_peak()
        t0 = time.perf_counter()
        if kind == "caseflow":
            from caseflow.exports.workbook import ExportFilters, write_workbook

            auditor = db.session.scalar(select(User).where(User.role == "auditor"))
            result = write_workbook(db.session, out, user=auditor, filters=ExportFilters(), include_identity=False)
            rows = result.counts["history"]
        elif kind == "xlsxwriter":  # the writer alone: how fast Caseflow's export could be at best
            import xlsxwriter

            from caseflow.audit.models import event_columns

            wb = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                           "strings_to_urls": False, "strings_to_numbers": False})
            ws, rows = wb.add_worksheet("History"), 0
            stmt = select(*event_columns()).order_by(AuditEvent.chain, AuditEvent.seq)
            for rows, ev in enumerate(db.session.execute(stmt.execution_options(yield_per=5000)), 1):
                ws.write_row(rows, 0, [v.replace(tzinfo=None) if isinstance(v, datetime) else v for v in ev])
            wb.close()
        else:
            from openpyxl import Workbook

            wb = Workbook(write_only=True)
            ws = wb.create_sheet("History")
            rows = 0
            from caseflow.audit.models import event_columns

            stmt = select(*event_columns()).order_by(AuditEvent.chain, AuditEvent.seq)
            for ev in db.session.execute(stmt.execution_options(yield_per=5000)):  # the same rows, as read
                ws.append([v.replace(tzinfo=None) if isinstance(v, datetime) else v for v in ev])
                rows += 1
            wb.save(out)
        seconds = time.perf_counter() - t0
    return {"rows": rows, "seconds": seconds, "peak_mb": peak_mb(), "before_mb": before_mb,
            "size_mb": os.path.getsize(out) / 1e6}


def _status_mb(field: str) -> float | None:
    try:
        with open("/proc/self/status") as fh:
            line = next((x for x in fh if x.startswith(field + ":")), None)
    except OSError:
        return None
    return int(line.split()[1]) / 1024 if line else None


def reset_peak() -> float:
    """Start the high-water mark afresh (where Linux allows it); returns what the process holds now."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass
    now = _status_mb("VmRSS")
    return now if now is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_mb() -> float:
    """The high-water mark since ``reset_peak`` (the process's whole life where it could not reset)."""
    hwm = _status_mb("VmHWM")
    return hwm if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", help="keep (or reuse) the benchmark database at this path")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(*args.child)))
        return
    tmp = tempfile.mkdtemp()
    db_path = args.keep or os.path.join(tmp, "bench.sqlite3")
    url = f"sqlite:///{db_path}"
    if not os.path.exists(db_path):
        t0 = time.perf_counter()
        populate(url, args.rows)
        print(f"populated {args.rows:,} history rows in {time.perf_counter() - t0:.0f} s")
    results = {}
    for kind in ("bare", "xlsxwriter", "caseflow"):
        out = os.path.join(tmp, f"{kind}.xlsx")
        proc = subprocess.run([sys.executable, "-m", "bench.export_history", "--child", kind, url, out],
                              capture_output=True, text=True, check=False)
        if proc.returncode:
            sys.exit(f"the {kind} run failed:\n{proc.stderr[-2000:]}")
        results[kind] = r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"{kind:9} {r['rows']:>9,} rows in {r['seconds']:6.1f} s = {r['rows'] / r['seconds']:>8,.0f} rows/s, "
              f"peak {r['peak_mb']:5.0f} MB ({r['before_mb']:.0f} MB before writing), file {r['size_mb']:.0f} MB")
    def speed(kind):
        return results[kind]["rows"] / results[kind]["seconds"]

    print(f"caseflow export runs at {speed('caseflow') / speed('xlsxwriter'):.2f} x XlsxWriter alone on the same "
          f"rows (goal >= 0.9) and {speed('caseflow') / speed('bare'):.2f} x bare openpyxl write-only; "
          f"peak {results['caseflow']['peak_mb']:.0f} MB (goal < 250 MB, flat in the number of rows)")

if __name__ == "__main__":
    main()
