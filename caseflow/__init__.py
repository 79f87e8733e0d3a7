"""Caseflow: the application factory. It imports the features inside ``create_app`` (the one place
whose imports are inside a function): importing one module of the package (a worker, a migration,
the CLI) never imports the whole application."""

from __future__ import annotations

import logging
import os

from flask import Flask

from caseflow.config import PROJECT_ROOT, load_config
from caseflow.version import VERSION

__version__ = VERSION


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(load_config(app.instance_path, config))
    from caseflow.web import IdConverter

    app.url_map.converters["id"] = IdConverter  # ids in paths: past the integer range is a 404
    os.makedirs(app.instance_path, exist_ok=True)
    register_logging(app)
    register_extensions(app)
    register_workflows(app)
    register_blueprints(app)
    register_limits(app)
    register_request_hooks(app)
    register_error_handlers(app)
    register_cli(app)
    register_jobs(app)
    return app


def register_jobs(app: Flask) -> None:
    from caseflow.jobs.engine import init_celery

    init_celery(app)


def register_limits(app: Flask) -> None:
    from caseflow.auth.limits import init_limits

    init_limits(app)


def register_logging(app: Flask) -> None:
    # Log lines carry request ids and actions, never child data (see audit/ for who did what).
    if not app.debug and not app.testing:
        from caseflow import logs

        logs.configure(app.config["LOG_FORMAT"])
    for noisy in ("transitions", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def register_extensions(app: Flask) -> None:
    from caseflow.auth import passwords
    from caseflow.auth.session import init_login
    from caseflow.extensions import babel, csrf, db
    from caseflow.i18n import select_locale, select_timezone

    passwords.configure(app.config.get("ARGON2_TIME_COST"), app.config.get("ARGON2_MEMORY_COST"))
    db.init_app(app)
    from caseflow.audit.signing import init_signing

    init_signing(app)
    from caseflow.policy import init_policy
    from caseflow.sealing.keys import init_keys

    init_keys(app)

    init_policy(app)
    app.before_request(refuse_oversized_bodies)  # before CSRF reads the form
    csrf.init_app(app)
    if app.config["TRUSTED_PROXIES"]:  # the client's address, not the proxy's, in audit events and limits
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    init_login(app)


#: the packages that register guards, effects, schemas and clock anchors with the engine
RULE_MODULES = (
    "caseflow.cases.rules",
    "caseflow.assessment.rules",
    "caseflow.review.rules",
    "caseflow.handover.rules",
    "caseflow.reintegration.rules",
    "caseflow.screening.rules",
    "caseflow.reports.rules",
)


def refuse_oversized_bodies():
    """Refuse a body over MAX_CONTENT_LENGTH from its declared length, before any parsing starts."""
    from flask import abort, current_app, request

    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and request.content_length and request.content_length > limit:
        abort(413)


def register_workflows(app: Flask) -> None:
    """Load and validate every workflows/*.yaml (and past versions, and the country's settings
    overlay); a mistake stops start-up, naming file and key."""
    import importlib

    from caseflow.auth.roles import Role
    from caseflow.workflow.definition import WorkflowError, load_folder

    for module in RULE_MODULES:
        importlib.import_module(module)
    catalogue = load_folder(app.config["WORKFLOWS_DIR"], {r.value for r in Role}, app.config["SETTINGS_OVERLAY"])
    chosen = app.config["DEFAULT_WORKFLOW"]
    if chosen and chosen not in catalogue.current:
        raise WorkflowError(f"CASEFLOW_DEFAULT_WORKFLOW names {chosen!r}, "
                            f"which no file in {app.config['WORKFLOWS_DIR']} defines")
    app.config["DEFAULT_WORKFLOW"] = chosen or catalogue.default.name
    roles = {r.value for r in Role}
    if app.config["SECOND_FACTOR_ROLES"] is None:  # every role a workflow lets see who a child is
        seeing = [wf.identity_roles() for wf in catalogue.current.values()]
        app.config["SECOND_FACTOR_ROLES"] = frozenset().union(*seeing)
    elif not set(app.config["SECOND_FACTOR_ROLES"]) <= roles:
        raise WorkflowError(f"CASEFLOW_SECOND_FACTOR_ROLES names unknown roles: "
                            f"{', '.join(sorted(set(app.config['SECOND_FACTOR_ROLES']) - roles))}")
    from caseflow.cases.models import check_state_requirements

    check_state_requirements(catalogue.versions.values())
    from caseflow.labels import learn_workflow_fields

    learn_workflow_fields(catalogue.versions.values())
    app.extensions["caseflow.workflows"] = catalogue.current
    app.extensions["caseflow.catalogue"] = catalogue


def register_blueprints(app: Flask) -> None:
    from caseflow.views.admin import bp as admin_bp
    from caseflow.views.audit import bp as audit_bp
    from caseflow.views.auth import bp as auth_bp
    from caseflow.views.cases import bp as cases_bp
    from caseflow.views.exports import bp as exports_bp
    from caseflow.views.health import bp as health_bp
    from caseflow.views.imports import bp as imports_bp
    from caseflow.views.jobs import bp as jobs_bp
    from caseflow.views.notifications import bp as notifications_bp
    from caseflow.views.protection import bp as protection_bp
    from caseflow.views.reports import bp as reports_bp
    from caseflow.views.screening import bp as screening_bp
    from caseflow.views.workflow import bp as workflow_bp

    for bp in (auth_bp, reports_bp, cases_bp, workflow_bp, audit_bp, exports_bp, imports_bp, admin_bp, jobs_bp,
               notifications_bp, screening_bp, protection_bp, health_bp):
        app.register_blueprint(bp)
    from caseflow.api import init_api
    from caseflow.api.docs import bp as api_docs_bp
    from caseflow.views.tokens import bp as tokens_bp

    app.register_blueprint(tokens_bp)
    app.register_blueprint(api_docs_bp)
    init_api(app)


def register_request_hooks(app: Flask) -> None:
    from caseflow.templating import init_templating
    from caseflow.web import init_request_hooks

    init_request_hooks(app)
    init_templating(app)


def register_error_handlers(app: Flask) -> None:
    from caseflow.web import init_error_handlers

    init_error_handlers(app)


def register_cli(app: Flask) -> None:
    from caseflow.cli import init_cli

    init_cli(app)
