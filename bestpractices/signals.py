"""Signals other apps listen to, so that `bestpractices` never imports upward.

``practices_changed`` is sent once the transaction commits, after the set of published practices
or a published practice's data changed (publish, archive, send back, edit, restore, delete).
Argument: ``city_ids`` (list of the implementing cities' ids whose scoring inputs changed).
"""

from django.dispatch import Signal

practices_changed = Signal()
