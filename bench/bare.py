"""The bare endpoint `bench/http.py` compares Caseflow with: Flask + SQLAlchemy doing the same database
work per request as each scenario (read a case and lock it, write its state and one audit row; read a
page of cases by a filter), with nothing else — no authentication, no workflow, no rules.

    gunicorn -w 2 'bench.bare:create_app()'     (DATABASE_URL as for Caseflow)
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime

from flask import Flask, jsonify, request
from sqlalchemy import select, text
from sqlalchemy.orm import sessionmaker

from caseflow.audit.models import AuditEvent, ChainHead
from caseflow.cases.models import Case
from caseflow.db import make_engine, write_intent


def create_app() -> Flask:
    app = Flask(__name__)
    engine = make_engine(os.environ["DATABASE_URL"])
    pg = engine.dialect.name == "postgresql"
    app.extensions["bench.engine"] = engine

    @app.post("/transition/<code>")
    def transition(code):
        # a writer's transaction begins as Caseflow's does: on SQLite the engine's "begin" hook takes the
        # write lock (BEGIN IMMEDIATE, with the same retries) when the request says it will write
        intent = write_intent.set(True)
        try:
            return write(code)
        finally:
            write_intent.reset(intent)

    def write(code):
        with engine.connect() as conn:
            conn.begin()
            lock = " FOR UPDATE" if pg else ""
            row = conn.execute(text(f"SELECT id, version, state FROM cases WHERE code = :c{lock}"),  # noqa: S608
                               {"c": code}).first()
            if row is None:
                conn.rollback()
                return jsonify(error="not found"), 404
            now = datetime.now(UTC).replace(tzinfo=None)
            conn.execute(text("UPDATE cases SET version = version + 1, state_entered_at = :n WHERE id = :i"),
                         {"n": now, "i": row.id})
            head = conn.execute(text("SELECT seq, hash FROM audit_chain_heads WHERE chain = :c" + lock),  # noqa: S608
                                {"c": code}).first()
            seq, prev = (head.seq, head.hash) if head else (0, "0" * 64)
            details = json.dumps({"payload": request.get_json(silent=True) or {}}, sort_keys=True)
            digest = hashlib.sha256(f"{code}{seq + 1}{prev}{details}".encode()).hexdigest()
            conn.execute(text(
                "INSERT INTO audit_events (chain, seq, occurred_at, action, case_id, details, hash_version, "
                "prev_hash, hash, ident_digest) VALUES (:c, :s, :n, 'bare', :i, :d, 1, :p, :h, '')"),
                {"c": code, "s": seq + 1, "n": now, "i": row.id, "d": details, "p": prev, "h": digest})
            if head:
                conn.execute(text("UPDATE audit_chain_heads SET seq = :s, hash = :h, occurred_at = :n "
                                  "WHERE chain = :c"), {"s": seq + 1, "h": digest, "n": now, "c": code})
            else:
                conn.execute(text("INSERT INTO audit_chain_heads (chain, seq, hash, occurred_at) "
                                  "VALUES (:c, :s, :h, :n)"), {"s": seq + 1, "h": digest, "n": now, "c": code})
            conn.commit()
        return jsonify(code=code, version=row.version + 1)

    orm_session = sessionmaker(bind=engine, expire_on_commit=False)

    @app.post("/orm/transition/<code>")
    def orm_transition(code):
        """The same work as a plain ORM endpoint writes it: mapped rows read, changed and added."""
        intent = write_intent.set(True)
        try:
            with orm_session() as session, session.begin():
                case = session.scalars(select(Case).where(Case.code == code).with_for_update()).first()
                if case is None:
                    return jsonify(error="not found"), 404
                now = datetime.now(UTC)
                case.version += 1
                case.state_entered_at = now
                head = session.scalars(select(ChainHead).where(ChainHead.chain == code).with_for_update()).first()
                if head is None:
                    head = ChainHead(chain=code, seq=0, hash="0" * 64)
                    session.add(head)
                details = {"payload": request.get_json(silent=True) or {}}
                digest = hashlib.sha256(f"{code}{head.seq + 1}{head.hash}{json.dumps(details, sort_keys=True)}"
                                        .encode()).hexdigest()
                session.add(AuditEvent(chain=code, seq=head.seq + 1, occurred_at=now, action="bare", case_id=case.id,
                                       details=details, hash_version=1, prev_hash=head.hash, hash=digest,
                                       ident_digest=""))
                head.seq, head.hash, head.occurred_at = head.seq + 1, digest, now
            return jsonify(code=code, version=case.version)
        finally:
            write_intent.reset(intent)

    @app.get("/noop")
    def noop():  # what the load generator itself can send: no work at all
        return jsonify(ok=True)

    @app.get("/cases")
    def cases():
        where, params = [], {}
        for key in ("state", "region"):
            if request.args.get(key):
                where.append(f"{key} = :{key}")
                params[key] = request.args[key]
        order = "created_at DESC, id DESC"
        if request.args.get("overdue"):
            where.append("next_due_at < :now")
            params["now"] = datetime.now(UTC).replace(tzinfo=None)
            order = "next_due_at, id"
        sql = ("SELECT code, state, sex, region, age_at_encounter, created_at FROM cases"  # noqa: S608 - fixed parts
               + (" WHERE " + " AND ".join(where) if where else "") + f" ORDER BY {order} LIMIT 50")
        with engine.connect() as conn:
            rows = conn.execute(text(sql), params).mappings().all()
        return jsonify(items=[{k: str(v) for k, v in r.items()} for r in rows])

    @app.get("/case/<code>")
    def case(code):
        with engine.connect() as conn:
            row = conn.execute(text("SELECT * FROM cases WHERE code = :c"), {"c": code}).mappings().first()
            clocks = conn.execute(text("SELECT name, due_at FROM case_clocks WHERE case_id = :i"),
                                  {"i": row["id"]}).mappings().all()
        return jsonify(case={k: str(v) for k, v in row.items()}, clocks=[dict(c) for c in clocks])

    return app
