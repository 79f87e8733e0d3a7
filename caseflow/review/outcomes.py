"""What a joint review member may vote for, and a round may decide: the review's own vocabulary
(a workflow file names the decisions' transitions and their order of restriction by these codes)."""

from flask_babel import lazy_gettext as _l

from caseflow.labels import vocabulary

VOTE_OUTCOMES = vocabulary("outcome", {
    "release": _l("Release and handover to civilian child protection"),
    "diversion": _l("Diversion or restorative measure"),
    "juvenile_justice": _l("Referral to juvenile justice"),
    "not_a_child": _l("Not a child"),
    "defer": _l("Defer"),
})
