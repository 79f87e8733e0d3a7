"""Input schema of the child leaving the detaining force for civilian child protection: the handover."""

from caseflow.schemas import InputSchema, YesNo, past_datetime, required_text, text


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
