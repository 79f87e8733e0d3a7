"""Reminders: a clock due soon, then overdue, is announced once to each person who acts next.

Who acts next comes from the workflow file: the roles the state the case is in waits for (its
``waits_for``; a state that names none: the roles of the transitions that move a case on from it),
narrowed to the people whose remit holds the case
(``can_view``: the registering organisation's registrars, the receiving partner, ...). Each
(person, case, clock, due date, due-or-overdue) is one row under a unique key: a second beat, or a
second run, inserts nothing and sends nothing.
"""

from __future__ import annotations

import smtplib
from datetime import timedelta
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.exc import IntegrityError

from caseflow.auth.models import User
from caseflow.cases.models import Case, CaseClock
from caseflow.cases.scope import can_view
from caseflow.db import utcnow
from caseflow.i18n import current_language
from caseflow.notifications.models import Notification
from caseflow.workflow.engine import workflow_of


def actors(wf, state: str) -> set[str]:
    """The roles whose next step it is in ``state``: those it waits for (a reviewer is not reminded
    of a reintegration follow-up), else those that move a case on from it."""
    rule = wf.state_rules.get(state)
    if rule is not None and rule.waits_for:
        return set(rule.waits_for)
    return {role for t in wf.from_state(state) if t.changes_state for role in t.roles}


def due_clocks(session, now, lead: timedelta):
    """Running clocks due within ``lead`` (or past due) with no reminder of that kind yet."""
    for label, condition in (("overdue", CaseClock.due_at <= now),
                             ("due", and_(CaseClock.due_at > now, CaseClock.due_at <= now + lead))):
        sent = exists(select(Notification.id).where(
            Notification.case_id == CaseClock.case_id, Notification.clock == CaseClock.name,
            Notification.due_at == CaseClock.due_at, Notification.kind == label))
        rows = session.execute(select(CaseClock, Case).join(Case, Case.id == CaseClock.case_id).where(
            CaseClock.stopped_at.is_(None), CaseClock.due_at.is_not(None), condition, ~sent)
            .order_by(CaseClock.due_at).limit(5000))
        for clock, case in rows:
            yield label, clock, case


def send_reminders(session) -> list[int]:
    """Insert the reminders now due; returns the new notifications' ids (the caller commits, then
    ``email`` sends them)."""
    now = utcnow()
    lead = timedelta(hours=current_app.config["REMINDER_LEAD_HOURS"])
    people: dict[str, list[User]] = {}
    made = []
    for kind, clock, case in list(due_clocks(session, now, lead)):
        wf = workflow_of(case)
        roles = actors(wf, case.state)
        users = []
        for role in sorted(roles):
            if role not in people:
                people[role] = list(session.scalars(select(User).where(User.role == role, User.active.is_(True))))
            users += [u for u in people[role] if can_view(u, case)]
        rows = [Notification(user_id=u.id, case_id=case.id, clock=clock.name, due_at=clock.due_at, kind=kind,
                             created_at=now) for u in users]
        if not rows:
            continue
        try:
            with session.begin_nested():
                session.add_all(rows)
                session.flush()
        except IntegrityError:
            continue  # another beat sent these a moment ago
        made += [r.id for r in rows]
    return made


def unread_count(session, user) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def mark_read(session, user, notification_id: int | None = None) -> None:
    stmt = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    session.execute(stmt.values(read_at=utcnow()))


def describe(n: Notification, case: Case) -> str:
    """The reminder in the reader's language: the clock, the case code (pseudonymous), the due time."""
    from flask_babel import format_datetime

    clock = workflow_of(case).clocks.get(n.clock)
    name = clock.label.get(current_language(), n.clock) if clock else n.clock
    if n.kind == "overdue":
        return _("%(clock)s for %(case)s was due %(when)s: it is overdue.", clock=name, case=case.code,
                 when=format_datetime(n.due_at, "short"))
    return _("%(clock)s for %(case)s is due %(when)s.", clock=name, case=case.code,
             when=format_datetime(n.due_at, "short"))


#: a reminder not e-mailed yet (the mail server was down) is tried again for this long
EMAIL_RETRY = timedelta(days=1)


def email(session) -> int:
    """Send by e-mail, when SMTP is configured, every reminder not sent yet (made in the last day): a
    mail server that was down is tried again at the next beat. Each one is marked as it goes, so a
    failure half-way keeps what was sent; rows another beat is sending are skipped (PostgreSQL: SKIP
    LOCKED; SQLite: one writer at a time). Only the case code and the clock go out: never a name."""
    cfg = current_app.config
    if not cfg["SMTP_HOST"]:
        return 0
    stmt = (select(Notification, User, Case).join(User, User.id == Notification.user_id)
            .join(Case, Case.id == Notification.case_id)
            .where(Notification.emailed_at.is_(None), Notification.created_at >= utcnow() - EMAIL_RETRY)
            .order_by(Notification.id).limit(500))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Notification, skip_locked=True)
    rows = session.execute(stmt).all()
    if not rows:
        return 0
    sent = 0
    try:
        with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=30) as smtp:
            if cfg["SMTP_STARTTLS"]:
                smtp.starttls()
            if cfg["SMTP_USER"]:
                smtp.login(cfg["SMTP_USER"], cfg["SMTP_PASSWORD"] or "")
            for n, user, case in rows:
                with force_locale(user.locale or "en"):
                    msg = EmailMessage()
                    msg["Subject"] = _("Caseflow reminder: %(case)s", case=case.code)
                    msg["From"], msg["To"] = cfg["MAIL_FROM"], user.email
                    msg.set_content(f"{describe(n, case)}\n\n{cfg['BASE_URL'].rstrip('/')}/cases/{case.code}\n")
                smtp.send_message(msg)
                n.emailed_at = utcnow()
                sent += 1
    except (OSError, smtplib.SMTPException):
        current_app.logger.warning("reminder e-mail: the mail server failed after %d of %d; the rest is tried "
                                   "at the next beat", sent, len(rows))
    return sent
