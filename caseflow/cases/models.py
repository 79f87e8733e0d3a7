"""The case record, its running clocks and the case-code counter."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    select,
    text,
)
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from caseflow import vocab
from caseflow.audit.hashing import plain
from caseflow.auth.models import Organisation, User
from caseflow.db import Base, UTCDateTime, is_sqlite, utcnow
from caseflow.labels import field_label
from caseflow.sealing.identity import (
    IdentityField,
    event_sealer,
    is_erased,
    mark_dirty,
    set_value,
    settle,
    values_of,
)
from caseflow.sealing.models import CaseIdentity, CaseKey, IdentityToken
from caseflow.sealing.sealed import Sealed, SealedFields, sealed_text
from caseflow.workflow.definition import WorkflowError
from caseflow.workflow.engine import workflow_of


def _in(column: str, codes) -> CheckConstraint:
    allowed = ", ".join(f"'{c}'" for c in codes)
    return CheckConstraint(f"{column} IS NULL OR {column} IN ({allowed})", name=f"{column}_allowed")


#: fields that identify the child: hidden by default, their views audited, left out of exports
IDENTIFYING_FIELDS = ("given_name", "family_name", "other_names", "date_of_birth")


#: sealed fields a duplicate check finds through the blind index (protection.identity)
INDEXED_FIELDS = ("facility_reference",)


#: columns the case list filters on, each with an index (column, created_at, id)
LIST_FILTERS = ("state", "region", "sex", "detaining_authority", "age_at_encounter", "registering_org_id",
                "receiving_org_id")


class Case(SealedFields, Base):
    __tablename__ = "cases"
    __table_args__ = (
        _in("sex", vocab.SEX),
        _in("encounter_type", vocab.ENCOUNTER_TYPES),
        _in("facility_type", vocab.FACILITY_TYPES),
        _in("closed_reason", vocab.CLOSURE_REASONS),
        _in("charge_category", vocab.CHARGE_CATEGORIES),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("claimed_age IS NULL OR (claimed_age >= 0 AND claimed_age <= 30)", name="claimed_age_range"),
        # What a state requires of the record (a closed case has a reason) is the workflow file's
        # (a state's ``requires``), checked by the engine and by ``audit verify``: no state name here.
        # each list filter (and each remit) with the default order, newest first, served by one index
        *[Index(f"ix_cases_{column}_created", column, "created_at", "id") for column in LIST_FILTERS],
        Index("ix_cases_created", "created_at", "id"),  # no filter, or a range (an age band)
        Index("ix_cases_next_due", "next_due_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    workflow: Mapped[str] = mapped_column(String(40))
    #: the version of the workflow file the case started on (or was migrated to): it runs on that one
    workflow_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    state: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer, default=1)
    state_entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    registering_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    receiving_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))

    # identity (IDENTIFYING_FIELDS): never a column in clear; sealed with the case's own data key
    # (protection.identity), read and set as plain attributes
    given_name = IdentityField("given_name")
    family_name = IdentityField("family_name")
    other_names = IdentityField("other_names")
    date_of_birth = IdentityField("date_of_birth")
    sex: Mapped[str | None] = mapped_column(String(10))
    claimed_age: Mapped[int | None] = mapped_column(Integer)
    age_estimated: Mapped[bool | None] = mapped_column(Boolean)  # None: not asked, shown "Unknown"
    nationality: Mapped[str | None] = mapped_column(String(80))
    languages_sealed: Mapped[str | None] = sealed_text("languages")
    languages = Sealed("languages_sealed")

    # place
    region: Mapped[str | None] = mapped_column(String(80))
    cercle_sealed: Mapped[str | None] = sealed_text("cercle")
    cercle = Sealed("cercle_sealed")
    commune_sealed: Mapped[str | None] = sealed_text("commune")
    commune = Sealed("commune_sealed")

    # encounter
    encounter_type: Mapped[str | None] = mapped_column(String(30))
    encounter_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    encounter_place_sealed: Mapped[str | None] = sealed_text("encounter_place")
    encounter_place = Sealed("encounter_place_sealed")
    apprehending_unit_sealed: Mapped[str | None] = sealed_text("apprehending_unit")
    apprehending_unit = Sealed("apprehending_unit_sealed")

    # custody
    detaining_authority: Mapped[str | None] = mapped_column(String(200))
    facility_type: Mapped[str | None] = mapped_column(String(40))
    facility_reference_sealed: Mapped[str | None] = sealed_text("facility_reference")
    facility_reference = Sealed("facility_reference_sealed")
    separated_from_adults: Mapped[bool | None] = mapped_column(Boolean)
    legal_counsel: Mapped[bool | None] = mapped_column(Boolean)
    family_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unicef_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    charges_sealed: Mapped[str | None] = sealed_text("charges")
    charges = Sealed("charges_sealed")
    charge_category: Mapped[str | None] = mapped_column(String(30))
    ill_treatment_reported: Mapped[bool | None] = mapped_column(Boolean)
    custody_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    custody_end: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # association
    alleged_group_sealed: Mapped[str | None] = sealed_text("alleged_group")
    alleged_group = Sealed("alleged_group_sealed")
    association_roles_sealed: Mapped[str | None] = sealed_text("association_roles")
    association_roles = Sealed("association_roles_sealed")
    girl_mother: Mapped[bool | None] = mapped_column(Boolean)
    protection_concerns_sealed: Mapped[str | None] = sealed_text("protection_concerns")
    protection_concerns = Sealed("protection_concerns_sealed")

    # consent
    consent_services: Mapped[bool | None] = mapped_column(Boolean)
    consent_reporting: Mapped[bool | None] = mapped_column(Boolean)
    consent_by_sealed: Mapped[str | None] = sealed_text("consent_by")
    consent_by = Sealed("consent_by_sealed")

    # outcome
    closed_reason: Mapped[str | None] = mapped_column(String(30))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_review_date: Mapped[date | None] = mapped_column(Date)

    # the age used, at the encounter (benefit of the doubt: assessment.age), kept for lists and reports
    age_at_encounter: Mapped[int | None] = mapped_column(Integer)
    age_basis: Mapped[str | None] = mapped_column(String(20))
    #: the earliest due date of the running clocks, kept by set_clock/stop_clock: the overdue list
    #: is an index range on it, most overdue first
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: what this case's workflow alone records (a screening's campaign, service number, unit): the
    #: fields its file declares under ``fields``, validated by the schema built from them
    workflow_fields: Mapped[dict | None] = mapped_column(JSON)

    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    registering_org: Mapped[Organisation] = relationship(foreign_keys=[registering_org_id])
    receiving_org: Mapped[Organisation | None] = relationship(foreign_keys=[receiving_org_id])
    clocks: Mapped[list[CaseClock]] = relationship(back_populates="case", cascade="all, delete-orphan")
    key_row: Mapped[CaseKey | None] = relationship(cascade="all, delete-orphan", lazy="select")
    identity_row: Mapped[CaseIdentity | None] = relationship(cascade="all, delete-orphan", lazy="select")
    identity_tokens: Mapped[list[IdentityToken]] = relationship(cascade="all, delete-orphan", lazy="select")

    # --- its sealed text (protection.sealed) -------------------------------------------------
    def sealing_case(self) -> Case:
        return self

    def after_sealed_set(self, field: str) -> None:
        if field in INDEXED_FIELDS:  # the blind index is remade with the identity, before the event
            mark_dirty(self)

    # --- the engine's subject protocol -------------------------------------------------------
    @property
    def audit_chain(self) -> str:
        return self.code

    def lock_for_update(self, session) -> Case:
        """This row, current and locked for the rest of the transaction: re-read under a lock, unless
        it was read locked in this very transaction already (see ``mark_locked``)."""
        if self.__dict__.get("_locked_in") is session.get_transaction():
            return self
        # its data key in the same statement: the event's free text is sealed with it
        stmt = (select(Case).where(Case.id == self.id).options(joinedload(Case.key_row))
                .execution_options(populate_existing=True))
        if not is_sqlite(session):
            stmt = stmt.with_for_update(of=Case)
        case = session.scalars(stmt).one()
        case.mark_locked(session)
        return case

    def mark_locked(self, session) -> None:
        self.__dict__["_locked_in"] = session.get_transaction()

    def rows_of(self, session, model) -> list:
        """Its rows of one stage's table, in the order they were made."""
        if self.id is None:
            return []
        return list(session.scalars(select(model).where(model.case_id == self.id).order_by(model.id)))

    def settle(self, session) -> None:
        """Before its event is appended: the identity set since is sealed, its index remade."""
        settle(self)

    def event_sealer(self):
        """What seals the identifying part of its events: the case's own data key."""
        return event_sealer(self)

    def running_clocks(self) -> dict[str, tuple[datetime, datetime | None]]:
        return {c.name: (c.started_at, c.due_at) for c in self.clocks if c.stopped_at is None}

    def set_clock(self, name: str, started_at: datetime, due_at: datetime | None) -> None:
        for c in self.clocks:
            if c.name == name and c.stopped_at is None:
                c.started_at, c.due_at = started_at, due_at
                break
        else:
            self.clocks.append(CaseClock(name=name, started_at=started_at, due_at=due_at))
        self._next_due()

    def stop_clock(self, name: str, at: datetime) -> None:
        for c in self.clocks:
            if c.name == name and c.stopped_at is None:
                c.stopped_at = at
        self._next_due()

    def _next_due(self) -> None:
        dues = [c.due_at for c in self.clocks if c.stopped_at is None and c.due_at is not None]
        self.next_due_at = min(dues) if dues else None

    # --- the record, columns and the workflow's own fields alike ----------------------------
    def value(self, name: str):
        if name in Case.__table__.columns or name in IDENTIFYING_FIELDS:
            return getattr(self, name)
        if name in self._sealed_own_fields():
            return values_of(self).get(name)
        return (self.workflow_fields or {}).get(name)

    def _sealed_own_fields(self) -> tuple[str, ...]:
        return workflow_of(self).sealed_own_fields()

    @property
    def identity_erased(self) -> bool:
        return is_erased(self)

    def set_value(self, name: str, value) -> None:
        if name in Case.__table__.columns or name in IDENTIFYING_FIELDS:
            setattr(self, name, value)
        elif name in self._sealed_own_fields():  # a workflow's identifying field: sealed with the rest
            set_value(self, name, value)
        else:
            kept = dict(self.workflow_fields or {})
            if value is None:
                kept.pop(name, None)
            else:
                kept[name] = plain(value)
            self.workflow_fields = kept or None

    def identifying_fields(self) -> tuple[str, ...]:
        """What identifies this person: the names and date of birth, and what the workflow's file
        marks identifying among its own fields (a service number)."""

        return workflow_of(self).identifying_fields(IDENTIFYING_FIELDS)

    @staticmethod
    def field_label(name: str) -> str:
        return field_label(name)

    def missing(self, names) -> list[str]:
        """Which of these fields are not filled (the workflow's ``record.required``)."""
        return [f for f in names if self.value(f) in (None, "")]

    def __repr__(self) -> str:
        return f"<Case {self.code} {self.state} v{self.version}>"


def record_fields(wf) -> set[str]:
    """The names a workflow file may use for a case's record: the columns, and its own fields."""
    return {c.key for c in Case.__table__.columns} | set(wf.fields)


def check_state_requirements(workflows) -> None:
    """At start-up: every field a state requires is one the case record has."""

    for wf in workflows:
        known = record_fields(wf)
        for state, rule in wf.state_rules.items():
            for f in rule.requires:
                if f not in known:
                    raise WorkflowError(f"{wf.path}: states.{state}.requires: the case record has no field {f!r}")


class CaseClock(Base):
    """A deadline that runs while the case is in certain states (see the workflow's clocks)."""

    __tablename__ = "case_clocks"
    __table_args__ = (
        # the overdue list: running clocks by due date, without the stopped ones
        Index("ix_case_clocks_running_due", "due_at", "case_id", postgresql_where=text("stopped_at IS NULL"),
              sqlite_where=text("stopped_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship(back_populates="clocks")


class CaseCodeCounter(Base):
    """Next number per prefix and year; locked while a code is taken, so codes never repeat."""

    __tablename__ = "case_code_counters"
    __table_args__ = (UniqueConstraint("prefix", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(6))
    year: Mapped[int] = mapped_column(Integer)
    last: Mapped[int] = mapped_column(Integer, default=0)
