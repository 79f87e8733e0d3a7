"""Output (and query) schemas of the API. Input bodies are the same schemas as the forms."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from caseflow.schemas import InputSchema


class QuerySchema(Schema):
    class Meta:
        unknown = RAISE


class CaseListQuery(QuerySchema):
    state = fields.String(validate=validate.Length(max=40))
    region = fields.String(validate=validate.Length(max=80))
    overdue = fields.Boolean()
    q = fields.String(validate=validate.Length(max=40), metadata={"description": "part of a case code"})
    workflow = fields.String(validate=validate.Length(max=40), metadata={"description": "only this workflow's cases"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))


class OrganisationOut(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String(metadata={"description": "government, un, partner_ngo or assessor"})
    active = fields.Boolean()


class OrganisationListOut(Schema):
    items = fields.List(fields.Nested(OrganisationOut))


class ClockOut(Schema):
    name = fields.String()
    label = fields.String()
    started_at = fields.AwareDateTime()
    due_at = fields.AwareDateTime(allow_none=True)
    overdue = fields.Boolean()


class AvailabilityOut(Schema):
    trigger = fields.String()
    label = fields.String()
    allowed = fields.Boolean()
    reason = fields.String(allow_none=True)


class HandoverOut(Schema):
    handed_over_at = fields.AwareDateTime()
    elapsed_seconds = fields.Integer(allow_none=True, metadata={"description": "from the encounter, to the second"})
    elapsed = fields.String(metadata={"description": "the same, as hours and minutes"})
    hours_since_encounter = fields.Integer(allow_none=True)
    late = fields.Boolean(metadata={"description": "elapsed over the workflow's time limit"})


class CaseOut(Schema):
    code = fields.String()
    workflow = fields.String()
    workflow_version = fields.Integer(metadata={"description": "the version of its workflow the case runs on"})
    workflow_fields = fields.Dict(metadata={"description": "the fields only its workflow records (see its file)"})
    hidden_sections = fields.List(fields.String(), metadata={
        "description": "sections of the case your role does not see in its state (need to know)"})
    state = fields.String()
    state_label = fields.String()
    version = fields.Integer()
    created_at = fields.AwareDateTime()
    sex = fields.String(allow_none=True)
    age_at_encounter = fields.Integer(allow_none=True)
    age_basis = fields.String(allow_none=True)
    region = fields.String(allow_none=True)
    cercle = fields.String(allow_none=True)
    commune = fields.String(allow_none=True)
    encounter_type = fields.String(allow_none=True)
    encounter_at = fields.AwareDateTime(allow_none=True)
    detaining_authority = fields.String(allow_none=True)
    facility_type = fields.String(allow_none=True)
    charge_category = fields.String(allow_none=True)
    nationality = fields.String(allow_none=True)
    receiving_organisation = fields.String(allow_none=True)
    handover = fields.Nested(HandoverOut, allow_none=True)
    closed_reason = fields.String(allow_none=True)
    clocks = fields.List(fields.Nested(ClockOut))
    available_transitions = fields.List(fields.Nested(AvailabilityOut),
                                        metadata={"description": "only with ?include=actions"})


class CaseSummaryOut(Schema):
    code = fields.String()
    state = fields.String()
    version = fields.Integer()
    sex = fields.String(allow_none=True)
    age_at_encounter = fields.Integer(allow_none=True)
    region = fields.String(allow_none=True)
    encounter_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()


class LinksOut(Schema):
    self = fields.String()
    next = fields.String(allow_none=True)
    prev = fields.String(allow_none=True)


class CasePageOut(Schema):
    items = fields.List(fields.Nested(CaseSummaryOut))
    total = fields.Integer(metadata={"description": "exact up to 10,000; see total_is_capped"})
    total_is_capped = fields.Boolean(metadata={"description": "more than `total` cases match"})
    page = fields.Integer()
    per_page = fields.Integer()
    links = fields.Nested(LinksOut)


class EventOut(Schema):
    chain = fields.String()
    seq = fields.Integer()
    occurred_at = fields.String(metadata={"description": "UTC, as hashed"})
    actor_id = fields.Integer(allow_none=True)
    actor_name = fields.String(allow_none=True)
    actor_role = fields.String(allow_none=True)
    actor_org = fields.String(allow_none=True)
    action = fields.String()
    from_state = fields.String(allow_none=True)
    to_state = fields.String(allow_none=True)
    details = fields.Dict()
    sealed_text = fields.Dict(metadata={"description": "The free text the event keeps sealed with the case's key "
                                                       "(reasons, notes, edited text), opened; never the identity"})
    ident_digest = fields.String()
    request_id = fields.String(allow_none=True)
    client_addr = fields.String(allow_none=True)
    hash_version = fields.Integer()
    prev_hash = fields.String()
    hash = fields.String()


class HistoryOut(Schema):
    code = fields.String()
    events = fields.List(fields.Nested(EventOut))
    verified = fields.Boolean()


class TransitionOut(Schema):
    trigger = fields.String()
    sources = fields.List(fields.String())
    dest = fields.String(allow_none=True)
    roles = fields.List(fields.String())
    guards = fields.List(fields.String())
    schema = fields.String(allow_none=True)
    label = fields.Dict(keys=fields.String(), values=fields.String())


class WorkflowOut(Schema):
    name = fields.String()
    version = fields.Integer()
    label = fields.Dict(keys=fields.String(), values=fields.String())
    initial = fields.String()
    states = fields.Dict(keys=fields.String(), values=fields.Dict())
    transitions = fields.List(fields.Nested(TransitionOut))
    settings = fields.Dict()
    quorum = fields.Dict()
    required = fields.List(fields.String(), metadata={"description": "fields needed before a case moves on"})
    identity_purposes = fields.Dict(metadata={"description": "why an identity may be seen, and by which roles"})


class VerifyQuery(QuerySchema):
    case = fields.String(validate=validate.Length(max=40))


class VerifyOut(Schema):
    ok = fields.Boolean()
    events = fields.Integer()
    chains = fields.Integer()
    events_per_second = fields.Integer()
    first_break = fields.String(allow_none=True, metadata={"description": "the first break, in English (stable)"})
    first_break_in_words = fields.String(allow_none=True,
                                         metadata={"description": "the same, in the reader's language"})


class ExportQuery(QuerySchema):
    state = fields.List(fields.String(validate=validate.Length(max=40)))
    date_from = fields.Date()
    date_to = fields.Date()
    region = fields.String(validate=validate.Length(max=80))
    organisation_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    code = fields.List(fields.String(validate=validate.Length(max=40)))
    identity = fields.Boolean(load_default=False)
    purpose = fields.String(validate=validate.Length(max=40), metadata={
        "description": "with identity: why (a purpose of your role, GET /workflows/{name} identity)"})


class SignedHeadOut(Schema):
    tree_size = fields.Integer()
    root = fields.String(metadata={"description": "RFC 9162 Merkle tree hash of the log's leaves, hex"})
    signed_at = fields.String(metadata={"description": "UTC, YYYYMMDDTHHMMSS.ffffffZ, as signed"})
    signature = fields.String(metadata={"description": "Ed25519 over [\"caseflow-tree-head-v1\", size, root, time] "
                                                       "(RFC 8785 JSON), base64url"})
    key = fields.String(metadata={"description": "the audit public key, base64url"})
    token = fields.String(metadata={"description": "the head as one line, for `audit verify --against`"})
    added = fields.Integer(metadata={"description": "events taken into the log by this publication"})
    held_back = fields.Integer(metadata={"description": "chains whose new events were refused (their chain does "
                                                        "not verify up to a signed chain head)"})


class ConsistencyQuery(QuerySchema):
    first = fields.Integer(required=True, validate=validate.Range(min=0, max=2**62))
    second = fields.Integer(required=True, validate=validate.Range(min=0, max=2**62))


class ConsistencyOut(Schema):
    first = fields.Integer()
    second = fields.Integer()
    proof = fields.List(fields.String(), metadata={"description": "RFC 9162 §2.1.4 consistency proof, hex"})


class WitnessConfirmationIn(InputSchema):
    """What ``flask audit witness`` sends; text no export could carry is refused like any input."""

    witness = fields.String(required=True, validate=validate.Length(min=1, max=80))
    witness_key = fields.String(required=True, validate=validate.Length(min=43, max=44))
    tree_size = fields.Integer(required=True, validate=validate.Range(min=0, max=2**62))
    root = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    signed_at = fields.String(required=True, validate=validate.Regexp(r"^\d{8}T\d{6}\.\d{6}Z$"))
    cosignature = fields.String(required=True, validate=validate.Length(min=86, max=88))


class WitnessConfirmationOut(Schema):
    witness = fields.String()
    tree_size = fields.Integer()
    matches = fields.Boolean(metadata={"description": "the log published this size with this root"})
