"""The Celery app of a Flask app: Redis (or RabbitMQ) as the broker in production; with no broker,
every job runs at once inside the request that starts it (Celery's eager mode), which is what one
machine with a handful of users needs: no other process, and nothing lost on a restart because
nothing waits.

Jobs are acknowledged late: a worker that dies mid-job (SIGKILL, a lost machine) leaves its message
unacknowledged, and the broker hands it to another worker after ``CELERY_VISIBILITY_TIMEOUT``. The
job's row says what was done; a job is finished in one transaction (its file, its audit event, its
state), so a second run never makes a second file or event.
"""

from __future__ import annotations

from celery import Celery, Task
from celery.schedules import crontab
from flask import Flask

from caseflow.jobs.tasks import register_tasks


def init_celery(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    broker = app.config["CELERY_BROKER_URL"]
    celery = Celery(app.import_name, task_cls=FlaskTask)
    celery.conf.update(
        broker_url=broker or "memory://localhost/",
        task_always_eager=not broker,
        task_ignore_result=True,  # a job's outcome is its row in the database, seen from every node
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": app.config["CELERY_VISIBILITY_TIMEOUT"]},
        timezone="UTC",
        beat_schedule={
            "reminders": {"task": "caseflow.send_reminders", "schedule": 600.0},
            "purge": {"task": "caseflow.purge", "schedule": 900.0},
            "publish-heads": {"task": "caseflow.publish_heads", "schedule": 300.0},
            "daily-digest": {"task": "caseflow.daily_digest", "schedule": crontab(hour=2, minute=0)},
            "requeue-waiting": {"task": "caseflow.requeue_waiting",
                                "schedule": float(app.config["JOBS_REQUEUE_AFTER_SECONDS"])},
        },
    )

    register_tasks(celery)
    app.extensions["celery"] = celery
    return celery
