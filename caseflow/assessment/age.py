"""The age that counts: benefit of the doubt, in one place.

- a concluded assessment with consent: its **minimum** age (margins go in the child's favour);
- an assessment whose consent was refused: the person is treated as a child (no age is asserted);
- otherwise the date of birth, or the age claimed at the encounter;
- nothing known: presumed a child.
Ages at an earlier moment (the alleged offence, the encounter) subtract the whole years between,
rounding down — again in the child's favour.
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

    @property
    def treated_as_child(self) -> bool:
        return self.years is None or self.years < ADULT


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def whole_years_between(earlier: date, later: date) -> int:
    years = later.year - earlier.year - ((later.month, later.day) < (earlier.month, earlier.day))
    return max(years, 0)


def _years_back(age_then: int, then: date, at: date) -> int:
    """An age known at ``then``, carried to ``at``; going back subtracts every year that may have
    passed (ceil), going forward adds only the whole years that surely passed (floor)."""
    if at >= then:
        return age_then + whole_years_between(then, at)
    gap_days = (then - at).days
    return max(age_then - ((gap_days + 364) // 365), 0)


def effective_age(session, case, at: date | datetime | None = None) -> EffectiveAge:
    assessment = AgeAssessment.latest_concluded(session, case.id) if case.id else None
    return age_from(case, assessment, at)


def age_from(case, assessment: AgeAssessment | None, at: date | datetime | None = None) -> EffectiveAge:
    """The rule itself, given the latest concluded assessment (or None): no database access."""
    at = _as_date(at or case.encounter_at or case.created_at)
    if assessment is not None:
        if assessment.consent == "refused":
            return EffectiveAge(None, "consent_refused")
        return EffectiveAge(_years_back(assessment.min_age, _as_date(assessment.concluded_at), at), "assessed")
    if case.date_of_birth:
        return EffectiveAge(whole_years_between(case.date_of_birth, at), "date_of_birth")
    if case.claimed_age is not None:  # the age claimed at the encounter
        claimed_at = _as_date(case.encounter_at or case.created_at)
        return EffectiveAge(_years_back(case.claimed_age, claimed_at, at), "claimed")
    return EffectiveAge(None, "unknown")


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
