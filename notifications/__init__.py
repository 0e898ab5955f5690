"""Notifications: telling people when something needs them or concerns them.

The lowest app: it imports only ``toolkit`` and ``django.contrib``. The services of the other
apps write notifications through ``notifications.services.notify``; each one points at the
object it is about through a generic relation. Sending happens in Celery tasks after commit:
"waiting for you" at once, the rest in a daily digest, as each user chooses per kind.
"""
