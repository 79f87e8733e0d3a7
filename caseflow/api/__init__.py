"""The JSON API at /api/v1: thin resources over the same operations as the HTML views, described by
OpenAPI 3 (flask-smorest), authenticated by personal tokens (or a session cookie plus CSRF)."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from caseflow.api import audit, auth, resources  # noqa: F401 (audit adds its routes to resources.blp)
from caseflow.api.transitions import transitions_blueprint
from caseflow.extensions import csrf

API_CONFIG = {
    "API_TITLE": "Caseflow",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_SPEC_OPTIONS": {
        "info": {"description": "Cases of children detained in relation to armed conflict: the same operations "
                                "and rules as the web application. Send `Authorization: Bearer <token>`."},
        "security": [{"bearerAuth": []}],
    },
}


class ProblemApi(Api):
    """Every error this API answers is RFC 9457 problem+json, documented per operation (the
    ``problems`` decorator): no generic ``application/json`` error response is added."""

    DEFAULT_ERROR_RESPONSE_NAME = None


def init_api(app: Flask) -> Api:
    for key, value in API_CONFIG.items():
        app.config.setdefault(key, value)
    api = ProblemApi(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    auth.init_token_auth(app)
    csrf.exempt(resources.blp)  # a token needs no CSRF token; cookie callers are checked in auth.py
    api.register_blueprint(resources.blp)

    per_trigger = transitions_blueprint(app)  # one documented path per trigger of the workflow files
    csrf.exempt(per_trigger)
    api.register_blueprint(per_trigger)
    app.extensions["caseflow.api"] = api
    return api
