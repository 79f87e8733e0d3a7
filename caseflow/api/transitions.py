"""One API path per trigger of the workflows in force (``POST /cases/{code}/transitions/decide_release``),
generated from their files at start-up, each documenting its payload schema in openapi.json — a client
learns the fields from the document, not from 422 answers. Each path is the generic transition."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Blueprint

from caseflow.api import schemas as out
from caseflow.api.resources import INCLUDE, PROBLEMS, check_include, transition
from caseflow.workflow.engine import payload_schema


def transitions_blueprint(app: Flask) -> Blueprint:
    blp = Blueprint("transitions", __name__, url_prefix="/api/v1",
                    description="Each workflow action, with its payload (generated from the workflow files)")
    blp.before_request(check_include)
    payloads: dict[str, dict[str, type]] = {}
    labels: dict[str, list[str]] = {}
    for wf in app.extensions["caseflow.workflows"].values():
        for t in wf.transitions:
            cls = payload_schema(wf, t)
            payloads.setdefault(t.trigger, {})
            if cls is not None:
                payloads[t.trigger][cls.__name__] = cls
            labels.setdefault(t.trigger, []).append(f"{t.label['en']} ({wf.name})")
    for trigger in sorted(payloads):
        classes = list(payloads[trigger].values())

        def view(code, _trigger=trigger):
            return transition(code, _trigger)

        view.__name__ = f"transition_{trigger}"
        view.__doc__ = f"{'; '.join(labels[trigger])}.\n\nThe payload below, with the case's version in If-Match."
        doc = {"parameters": [{"in": "header", "name": "If-Match", "required": True, "schema": {"type": "string"}},
                              INCLUDE],
               "responses": {c: PROBLEMS[c] for c in (400, 401, 403, 404, 409, 412, 422, 428)}}
        if classes:
            body = classes[0] if len(classes) == 1 else {"oneOf": classes}
            doc["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
        decorated = blp.doc(**doc)(blp.response(200, out.CaseOut)(view))
        blp.route(f"/cases/<code>/transitions/{trigger}", methods=["POST"], endpoint=view.__name__)(decorated)
    return blp
