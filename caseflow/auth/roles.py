"""Roles and organisation kinds: the closed vocabularies of who may do what."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l


class Role(enum.StrEnum):
    admin = "admin"
    registrar = "registrar"
    reviewer = "reviewer"
    assessor = "assessor"
    partner = "partner"
    auditor = "auditor"

    @property
    def label(self):
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.admin: _l("Administrator"),
    Role.registrar: _l("Registrar"),
    Role.reviewer: _l("Joint review member"),
    Role.assessor: _l("Age assessor"),
    Role.partner: _l("Partner case worker"),
    Role.auditor: _l("Auditor"),
}


class OrgKind(enum.StrEnum):
    government = "government"
    un = "un"
    partner_ngo = "partner_ngo"
    assessor = "assessor"

    @property
    def label(self):
        return ORG_KIND_LABELS[self]


ORG_KIND_LABELS = {
    OrgKind.government: _l("Government"),
    OrgKind.un: _l("United Nations"),
    OrgKind.partner_ngo: _l("Partner organisation"),
    OrgKind.assessor: _l("Independent age assessors"),
}

#: organisations that may receive a child at handover and care for them afterwards
CARING_KINDS = frozenset({OrgKind.partner_ngo})
