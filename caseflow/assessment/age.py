"""The age that counts: benefit of the doubt, in one place.

- a concluded assessment with consent: its **minimum** age, on the day it was assessed (margins go in
  the child's favour);
- an assessment whose consent was refused: the person is treated as a child (no age is asserted);
- otherwise the date of birth, or the age claimed at the encounter;
- nothing known: presumed a child.

An age known on one day is carried to another by calendar arithmetic: the **latest** date of birth
that age allows (the youngest the child can be), then whole years to the day asked about, leap days
included. A child said to be 16 on 29 February 2028 was born on 28 February 2012 at the latest, so is
12 on 28 February 2024 and 11 the day before. Every figure of "the age used" comes from ``age_at``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from caseflow.assessment.models import AgeAssessment

ADULT = 18


@dataclass(frozen=True)
class EffectiveAge:
    years: int | None  # None: unknown, treated as a child
    basis: str  # assessed | consent_refused | date_of_birth | claimed | unknown
    on: date | None = None  # the day this age applies to

    @property
    def treated_as_child(self) -> bool:
        return self.years is None or self.years < ADULT


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier; 29 February becomes 28 February in a common year
    (the later of the two candidate days, so the child is never made older)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year - years, day=28)


def whole_years_between(earlier: date, later: date) -> int:
    """Completed years from ``earlier`` to ``later`` (0 when ``later`` comes first). Someone born on
    29 February completes a year on 1 March of a common year."""
    years = later.year - earlier.year - ((later.month, later.day) < (earlier.month, earlier.day))
    return max(years, 0)


def latest_birth_date(age: int, known_on: date) -> date:
    """The latest day a person who was ``age`` on ``known_on`` can have been born."""
    return years_before(known_on, age)


def age_at(case, assessment: AgeAssessment | None, at: date | datetime | None = None) -> EffectiveAge:
    """The rule itself, given the latest concluded assessment (or None): no database access.
    ``at`` defaults to the encounter (or the registration when no encounter is recorded)."""
    at = _as_date(at or case.encounter_at or case.created_at)
    if assessment is not None:
        if assessment.consent == "refused":
            return EffectiveAge(None, "consent_refused", at)
        born = latest_birth_date(assessment.min_age, assessment.assessed_day)
        return EffectiveAge(whole_years_between(born, at), "assessed", at)
    if case.date_of_birth:
        return EffectiveAge(whole_years_between(case.date_of_birth, at), "date_of_birth", at)
    if case.claimed_age is not None:  # the age claimed at the encounter
        born = latest_birth_date(case.claimed_age, _as_date(case.encounter_at or case.created_at))
        return EffectiveAge(whole_years_between(born, at), "claimed", at)
    return EffectiveAge(None, "unknown", at)



def settle_age(case, assessments: list[AgeAssessment]) -> EffectiveAge:
    """The age at the encounter kept on the case, from its assessments (lists, filters and reports
    read it from there)."""
    latest = next((a for a in reversed(assessments) if a.status == "concluded"), None)
    age = age_at(case, latest, case.encounter_at or case.created_at)
    case.age_at_encounter, case.age_basis = age.years, age.basis
    return age


def effective_age(session, case, at: date | datetime | None = None) -> EffectiveAge:
    assessment = AgeAssessment.latest_concluded(session, case.id) if case.id else None
    return age_at(case, assessment, at)


def age_band(years: int | None) -> str:
    if years is None:
        return "unknown"
    if years < 15:
        return "under_15"
    if years < 18:
        return "15_17"
    return "18_plus"


def refresh_age(session, case) -> EffectiveAge:
    """Store the age at the encounter on the case (lists, filters, reports read it from there)."""
    age = effective_age(session, case, case.encounter_at or case.created_at)
    case.age_at_encounter, case.age_basis = age.years, age.basis
    return age
