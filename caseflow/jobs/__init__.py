"""Background work on Celery: ``celery -A caseflow.jobs worker`` and ``celery -A caseflow.jobs beat``.

The Celery app is made with the Flask app (``create_app``), from the same configuration; this
module hands it to the ``celery`` command when asked for ``caseflow.jobs.celery`` (or ``.app``).
"""

_made: dict = {}


def __getattr__(name: str):
    if name in ("celery", "app"):
        if "celery" not in _made:
            from caseflow import create_app

            _made["celery"] = create_app().extensions["celery"]
        return _made["celery"]
    raise AttributeError(name)
