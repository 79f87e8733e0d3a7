"""Input schemas of the child leaving the detaining force: the handover to civilian child protection,
and the transfer to the juvenile justice system when the mechanism referred the child there."""

from caseflow import vocab
from caseflow.schemas import InputSchema, YesNo, choice, past_datetime, required_text, text


class HandoverSchema(InputSchema):
    identifying_fields = ("child_condition", "medical_notes")

    handing_officer = required_text(200)
    handing_unit = required_text(200)
    receiving_person = required_text(200)
    handed_over_at = past_datetime(required=True)
    place = required_text(200)
    child_condition = required_text(4000)
    medical_check = YesNo(required=True)
    medical_notes = text(4000)
    document_reference = text(100)


class JusticeTransferSchema(InputSchema):
    """The child's transfer from the detaining force to the juvenile justice system: who handed the
    child over, to which authority, when, and the facility the child is held in from then on."""

    transferred_at = past_datetime(required=True)
    handing_officer = required_text(200)
    handing_unit = required_text(200)
    receiving_authority = required_text(200)
    facility_type = choice(vocab.FACILITY_TYPES, required=True)
    facility_reference = text(80)
