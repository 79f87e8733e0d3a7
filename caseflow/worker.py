"""The Celery entry point: ``celery -A caseflow.worker worker`` and ``celery -A caseflow.worker beat``.

The Celery app is made with the Flask app (``create_app``), from the same configuration, when the
``celery`` command asks for ``caseflow.worker.celery`` (or ``.app``). It stands at the top of the
package, beside cli.py, because it builds the whole application; jobs/ holds the queue itself."""

from __future__ import annotations

from caseflow import create_app

_made: dict = {}


def __getattr__(name: str):
    if name in ("celery", "app"):
        if "celery" not in _made:
            _made["celery"] = create_app().extensions["celery"]
        return _made["celery"]
    raise AttributeError(name)
