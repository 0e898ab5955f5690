"""Signals other apps listen to, so that `cities` never imports upward.

``city_profiles_changed`` is sent after city profiles were created or changed (by a form, the
admin, the API or an import), inside the writer's transaction; ``matching`` records their
rescoring in the task outbox, which sends it once the transaction commits.
Arguments: ``city_ids`` (list of ids) and ``trigger`` (a short word: form, admin, api, import).
"""

from django.dispatch import Signal

city_profiles_changed = Signal()
