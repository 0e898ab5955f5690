"""A transactional outbox for Celery tasks (see ``services``)."""
