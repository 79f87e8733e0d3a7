"""Background work on Celery: the job rows, the queue's operations, stored files and the periodic
tasks. The worker starts from ``caseflow.worker`` (``celery -A caseflow.worker worker``)."""
