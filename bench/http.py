"""Load benchmark: Caseflow under gunicorn (2 sync workers) beside bare Flask + SQLAlchemy endpoints
doing the same database work (bench/bare.py), in the same window, on a database of N cases.

    python -m bench.http [--cases 100000] [--db sqlite|postgresql|both] [--seconds 20] [--connections 8] [--python]

For each scenario it prints requests per second, p50 / p95 / p99 latency, the count of 5xx answers,
and the ratio of Caseflow's rate to each bare endpoint's: written in SQL text ("SQL"), and, for the
transitions, written as a plain ORM endpoint ("ORM": mapped rows read, changed, added — the issue's
yardstick). A bare side that answered 5xx did not do the work: no ratio is given against it. The
load comes from wrk (Debian's package: ``apt-get install wrk``) with a Lua script per scenario
(bench/drivers.py: a fresh case and its If-Match for each transition), on this machine, for both
sides alike; without wrk (or with --python), from Python threads, whose own ceiling is measured
first and printed: no ratio is given where a side comes within 20 % of it.
The database is built in bulk (cases half registered, half under review with an open round, running
handover clocks, some overdue; each with the first event of its chain, its signed head and its
statistical facts, as registration leaves them), then kept for re-runs with --keep.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from bench.drivers import WRK, Target, driver

PASSWORD = "caseflow-demo-2026"
REVIEWERS = ["reviewer.justice", "reviewer.family", "reviewer.un", "reviewer.defence", "reviewer.unicef"]


def build(url: str, n: int, reviewing: bool = True) -> dict:
    """N cases in bulk, the demo people and API tokens; returns the tokens and the case codes. Half
    are under review (with an open round) unless ``reviewing`` is False: then all are registered, and
    each case's rows are exactly what its one event says (``audit verify`` holds them to it)."""
    from sqlalchemy import insert, select, text

    from bench.common import bench_database
    from caseflow.auth.models import Organisation, User
    from caseflow.auth.operations import create_token
    from caseflow.cases.models import Case, CaseClock
    from caseflow.review.models import ReviewRound
    from caseflow.sealing.models import CaseKey

    with bench_database(url) as db:
        registrar = db.session.scalar(select(User).where(User.email == "registrar@caseflow.demo"))
        now = datetime.now(UTC)
        regions = ["Mopti", "Gao", "Kidal", "Tombouctou", "Ségou", "Sikasso", "Kayes", "Koulikoro"]
        for first in range(0, n, 5000):
            rows = []
            for i in range(first, min(first + 5000, n)):
                enc = now - timedelta(hours=1 + (i % 400))
                rows.append({
                    "code": f"BN-2026-{i:07d}", "workflow": "detained_child",
                    "state": "registered" if i % 2 == 0 or not reviewing else "under_review", "version": 1,
                    "state_entered_at": enc, "created_at": now - timedelta(seconds=n - i),
                    "created_by_id": registrar.id, "registering_org_id": registrar.organisation_id,
                    "sex": ("male", "female", "unknown")[i % 3], "claimed_age": 12 + i % 6,
                    "age_at_encounter": 12 + i % 6,
                    "age_basis": "claimed", "region": regions[i % len(regions)], "encounter_type": "captured",
                    "encounter_at": enc, "detaining_authority": f"Unit {i % 20}",
                    "facility_type": "prison", "age_estimated": False, "next_due_at": enc + timedelta(hours=48)})
            keys = sealed_text(rows, "encounter_place", "Checkpoint")
            db.session.execute(insert(Case), rows)
            codes = [r["code"] for r in rows]
            ids = dict(db.session.execute(select(Case.code, Case.id).where(Case.code.in_(codes))).all())
            db.session.execute(insert(CaseKey), [{"case_id": ids[code], "wrapped": wrapped}
                                                 for code, wrapped in keys.items()])
            db.session.execute(insert(CaseClock), [
                {"case_id": ids[r["code"]], "name": "handover", "started_at": r["encounter_at"],
                 "due_at": r["encounter_at"] + timedelta(hours=48)} for r in rows])
            rounds = [{"case_id": ids[r["code"]], "number": 1, "opened_at": r["state_entered_at"]}
                      for r in rows if r["state"] == "under_review"]
            if rounds:  # (an empty list would insert one row of defaults)
                db.session.execute(insert(ReviewRound), rounds)
            registration_trail(db.session, rows, ids, registrar)
            db.commit()
        tokens = {}
        for who in ["registrar", "auditor", *REVIEWERS]:
            user = db.session.scalar(select(User).where(User.email == f"{who}@caseflow.demo"))
            tokens[who] = create_token(db.session, user, "bench", 30)[1]
        assert db.session.scalar(select(Organisation.id).limit(1))
        db.commit()
        # the planner's statistics of what was just loaded, for both sides alike, as an operator runs
        # it after a bulk load: without them PostgreSQL guessed 13 cases "under review" of 10,000 and
        # sorted them all for a page of 50 (14 ms a page; 0.5 ms with them, by the index)
        db.session.execute(text("ANALYZE"))
        db.commit()
    if not reviewing:
        return {"tokens": tokens, "registered": [f"BN-2026-{i:07d}" for i in range(n)], "reviewing": []}
    registered = [f"BN-2026-{i:07d}" for i in range(0, n, 2)]
    under_review = [f"BN-2026-{i:07d}" for i in range(1, n, 2)]
    return {"tokens": tokens, "registered": registered, "reviewing": under_review}


def sealed_text(rows: list[dict], field: str, value: str) -> dict[str, str]:
    """Free text about each case, sealed as the application seals it: a data key per case (returned
    wrapped, by code, for its ``case_keys`` row) and the value under the field's context."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from caseflow.sealing.keys import b64, keyring

    ring, wrapped = keyring(), {}
    for r in rows:
        raw, nonce = AESGCM.generate_key(bit_length=256), os.urandom(12)
        context = f"cases.{field}:{r['code']}".encode()
        r[f"{field}_sealed"] = "c1." + b64(nonce + AESGCM(raw).encrypt(nonce, value.encode(), context))
        wrapped[r["code"]] = ring.seal(raw, f"casekey:{r['code']}")
    return wrapped


def registration_trail(session, rows: list[dict], ids: dict, registrar) -> None:
    """What registration leaves beside each case, as the application writes it: the first event of
    its chain (hashed, its head signed) and its statistical facts, so that a transition finds a
    chain to extend and facts to compare, as it does in use."""
    from sqlalchemy import insert

    from caseflow.audit.hashing import HASH_VERSION, event_hash, plain
    from caseflow.audit.models import GENESIS_HASH, AuditEvent, ChainHead
    from caseflow.audit.signing import head_message, signer
    from caseflow.cases.evolve import CASE_COLUMNS
    from caseflow.reports.models import CaseFacts

    keys, events, facts = signer(), [], {}
    for r in rows:
        facts[r["code"]] = plain({**{k: r.get(column) for k, column in CASE_COLUMNS.items()},
                                  "assessments": [], "decisions": [], "handover": None})
        ev = AuditEvent(chain=r["code"], seq=1, occurred_at=r["created_at"], actor_id=registrar.id,
                        actor_name=registrar.full_name, actor_role=registrar.role,
                        actor_org=registrar.organisation.name, action="case_registered", case_id=ids[r["code"]],
                        from_state=None, to_state=r["state"], details={"facts": facts[r["code"]]}, identifying=None,
                        ident_digest="", request_id=None, client_addr=None, hash_version=HASH_VERSION,
                        prev_hash=GENESIS_HASH)
        ev.hash = event_hash(ev)
        events.append({c.key: getattr(ev, c.key) for c in AuditEvent.__table__.columns if c.key != "id"})
    made = session.execute(insert(AuditEvent).returning(AuditEvent.id, AuditEvent.chain, AuditEvent.hash), events)
    times = {r["code"]: r["created_at"] for r in rows}
    heads, kept = [], []
    for event_id, chain, digest in made:
        heads.append({"chain": chain, "seq": 1, "hash": digest, "occurred_at": times[chain],
                      "sig": keys.sign(head_message(chain, 1, digest))})
        kept.append({"case_id": ids[chain], "receiving_org_id": None, "valid_from": times[chain], "valid_to": None,
                     "event_id": event_id, "action": "case_registered", "facts": facts[chain]})
    session.execute(insert(ChainHead), heads)
    session.execute(insert(CaseFacts), kept)


def sign_in(base: str, email: str):
    """A browser's sign-in: password, then the second factor (enrolled on first sign-in with the key
    the page shows, a code computed from it). Returns the session's cookies."""
    import pyotp

    def csrf(page: str) -> str:
        return page.split('name="csrf_token"')[1].split('value="')[1].split('"')[0]

    with requests.Session() as s:
        r = s.post(f"{base}/login", data={"csrf_token": csrf(s.get(f"{base}/login", timeout=60).text), "email": email,
                                          "password": PASSWORD}, timeout=60, allow_redirects=False)
        step = r.headers.get("Location", "")
        if step.endswith("/login/enrol"):
            page = s.get(f"{base}/login/enrol", timeout=60).text
            secret = page.split("<code>")[1].split("</code>")[0]
            r = s.post(f"{base}/login/enrol", data={"csrf_token": csrf(page), "code": pyotp.TOTP(secret).now()},
                       timeout=60, allow_redirects=False)
        if r.status_code != 302 or "/login" in r.headers.get("Location", "").replace("/login/recovery-codes", ""):
            raise SystemExit(f"could not sign in as {email} (answer {r.status_code} {r.headers.get('Location')})")
        return s.cookies.copy()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(app_spec: str, url: str, log: Path, env: dict | None = None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-secret", "CASEFLOW_ENV": "development",
           "CASEFLOW_LOGIN_RATE_PER_IP": "100000 per minute", **(env or {})}
    bin_dir = Path(sys.executable).parent
    out = log.open("w")
    proc = subprocess.Popen([str(bin_dir / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}",
                             "--log-level", "warning", app_spec], env=env, stdout=out,
                            stderr=subprocess.STDOUT)
    proc.log_file = out  # closed by whoever stops it
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            requests.get(base + "/healthz", timeout=5).close()
            return proc, base
        except requests.RequestException:  # not listening yet, or its workers still loading the app
            time.sleep(0.2)
    raise SystemExit(f"{app_spec} did not start; see {log}")


def scenarios(data: dict, cookies: str) -> list:
    """(name, Caseflow's target, the bare SQL endpoint's, the bare ORM endpoint's or None); paths are
    relative to each side's address. ``cookies``: a signed-in auditor's, for the HTML pages."""
    tokens = data["tokens"]
    half = len(data["registered"]) // 2
    registered_cf, registered_bare = data["registered"][:half], data["registered"][half:]
    review, hot = data["reviewing"], data["reviewing"][:1]

    def bearer(who):
        return {"Authorization": f"Bearer {tokens[who]}"}

    vote = {"outcome": "release", "offence_category": "support_tasks", "reasons": "Release and hand over"}
    auditor, page = bearer("auditor"), {"Cookie": cookies}

    def votes(codes):  # each vote by one reviewer (the token of the first five in turn would need a Lua table)
        return Target("POST", "/api/v1/cases/{code}/votes", bearer(REVIEWERS[0]), vote, codes)

    def bare_side(path, codes, body=None):
        return Target("POST", path, {}, body if body is not None else {}, codes)

    return [
        ("transition, many cases",
         Target("POST", "/api/v1/cases/{code}/transitions/submit_for_review",
                {**bearer("registrar"), "If-Match": '"1"'}, {}, registered_cf, consume=True),
         bare_side("/transition/{code}", registered_bare), bare_side("/orm/transition/{code}", registered_bare)),
        ("transition, one hot case (vote)", votes(hot), bare_side("/transition/{code}", hot, vote),
         bare_side("/orm/transition/{code}", hot, vote)),
        ("vote, many cases", votes(review), bare_side("/transition/{code}", review, vote),
         bare_side("/orm/transition/{code}", review, vote)),
        ("case page (API)", Target("GET", "/api/v1/cases/{code}", auditor, None, review),
         Target("GET", "/case/{code}", {}, None, review), None),
        ("API list, state", Target("GET", "/api/v1/cases?state=under_review&per_page=50", auditor),
         Target("GET", "/cases?state=under_review"), None),
        ("API list, region", Target("GET", "/api/v1/cases?region=Gao&per_page=50", auditor),
         Target("GET", "/cases?region=Gao"), None),
        ("API list, overdue", Target("GET", "/api/v1/cases?overdue=true&per_page=50", auditor),
         Target("GET", "/cases?overdue=1"), None),
        ("HTML list", Target("GET", "/cases/", page), Target("GET", "/cases"), None),
        ("HTML overdue list", Target("GET", "/cases/?overdue=1", page), Target("GET", "/cases?overdue=1"), None),
    ]


def run(kind: str, n: int, seconds: float, connections: int, keep: str | None, only: str | None = None,
        prefer_python: bool = False) -> None:
    from bench.common import scratch_url

    tmp = Path(tempfile.mkdtemp(prefix="caseflow-bench-"))
    try:
        with scratch_url(kind, keep, tmp) as (url, fresh):
            if not fresh:
                raise SystemExit("--keep names an existing database: drop it first, tokens are made when it is built")
            t0 = time.perf_counter()
            data = build(url, n)
            print(f"\n== {kind}: {n:,} cases built in {time.perf_counter() - t0:.0f} s; "
                  f"{connections} connections, {seconds:.0f} s per side")
            drive(url, data, tmp, seconds, connections, only, prefer_python)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def drive(url: str, data: dict, tmp: Path, seconds: float, connections: int, only: str | None,
          prefer_python: bool = False) -> None:
    cf_proc, cf = serve("caseflow:create_app()", url, tmp / "caseflow.log")
    bare_proc, bare = serve("bench.bare:create_app()", url, tmp / "bare.log")
    name, load = driver(prefer_python)
    try:
        ceiling = None
        if name == "python":  # what the generator itself can send, against an endpoint that does nothing
            ceiling = load(bare, Target("GET", "/noop"), min(seconds, 5), connections)["rps"]
            why = "asked with --python" if WRK else "wrk not installed: apt-get install wrk"
            print(f"driver: Python threads ({why}); its ceiling here {ceiling:.0f} req/s: no ratio where a "
                  "side comes within 20 % of it")
        else:
            print("driver: wrk, 2 threads")
        cookie = "; ".join(f"{k}={v}" for k, v in sign_in(cf, "auditor@caseflow.demo").items())
        print(f"{'scenario':34} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'5xx':>5} | {'SQL r/s':>7} "
              f"{'5xx':>5} {'ratio':>5} | {'ORM r/s':>7} {'5xx':>5} {'ratio':>5}")
        for title, mine, bare_sql, bare_orm in scenarios(data, cookie):
            if only and only not in title:
                continue
            a = load(cf, mine, seconds, connections)
            sides = [load(bare, bare_sql, seconds, connections),
                     load(bare, bare_orm, seconds, connections) if bare_orm else None]
            print(f"{title:34} {a['rps']:7.0f} {a['p50']:6.0f}ms {a['p95']:6.0f}ms {a['p99']:6.0f}ms "
                  f"{a['errors']:5d} | " + " | ".join(compared(a, b, ceiling) for b in sides), flush=True)
            for side, r in [("Caseflow", a), ("bare SQL", sides[0]), ("bare ORM", sides[1])]:
                if r and r["odd"]:  # the scenario did not do what it says: its numbers mean nothing
                    print(f"   !! {side}: {len(r['odd'])} answers were not 2xx", flush=True)
        rss = worker_rss(cf_proc.pid)
        print(f"gunicorn worker RSS after the run: {', '.join(f'{r:.0f} MB' for r in rss)} (goal < 150 MB)")
    finally:
        for p in (cf_proc, bare_proc):
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=30)
            p.log_file.close()


def compared(a: dict, b: dict | None, ceiling: float | None = None) -> str:
    """A bare side's rate, its 5xx and Caseflow's ratio to it; no ratio against a side that failed
    (it did not do the work), nor where either side comes within 20 % of the driver's ceiling (the
    generator, not the server, set the rate)."""
    if b is None:
        return f"{'':7} {'':5} {'':5}"
    capped = ceiling is not None and max(a["rps"], b["rps"]) >= 0.8 * ceiling
    failed = not b["rps"] or b["errors"] or b["odd"]
    ratio = "  n/a" if failed else (" cap " if capped else f"{a['rps'] / b['rps']:5.2f}")
    return f"{b['rps']:7.0f} {b['errors']:5d} {ratio}"


def worker_rss(master_pid: int) -> list[float]:
    out = []
    for child in Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split():
        for line in Path(f"/proc/{child}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                out.append(int(line.split()[1]) / 1024)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--keep", help="build the database under this name (a path for SQLite) and keep it")
    parser.add_argument("--only", help="run only the scenarios whose name contains this text")
    parser.add_argument("--python", action="store_true", help="drive with Python threads even if wrk is installed")
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    for kind in kinds:
        run(kind, args.cases, args.seconds, args.connections, args.keep, args.only, args.python)


if __name__ == "__main__":
    main()
