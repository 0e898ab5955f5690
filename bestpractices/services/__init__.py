"""Writes and business rules of the catalogue, and the inputs it gives to scoring.

Every change to a practice goes through here (pages, API, admin, demo loader): it is validated,
written in one transaction, kept as a revision, reindexed for search, and, when published
practices change, announced with ``practices_changed`` once the transaction commits. Modules:

- ``editing``: create, edit and delete a practice, an admin save, restoring a revision;
- ``content``: what an author writes (``PracticeContent``), its validation and its rows;
- ``workflow``: draft → submitted → published → archived, and the publication checklist;
- ``guards``: the permission check and the lock a write starts with;
- ``revisions``, ``search``, ``announcements``: what every change keeps (a revision, the
  full-text vector, the news for scoring);
- ``scoring``: what matching reads from the catalogue.

``can_view`` and ``can_edit`` live in ``bestpractices.permissions`` (reads, not writes) and are
importable from here too.
"""

from ..permissions import can_edit, can_view
from .announcements import announcing_once
from .content import (
    EDITABLE_FIELDS,
    RESERVED_SLUGS,
    PracticeContent,
    content_from_snapshot,
)
from .editing import (
    create_practice,
    delete_practice,
    record_admin_save,
    restore_revision,
    update_practice,
)
from .scoring import PracticeInputs, practices_in_areas, scoring_inputs
from .search import refresh_search_vector
from .workflow import (
    ChecklistIncomplete,
    ChecklistItem,
    FourEyesRequired,
    WorkflowError,
    WorkflowStep,
    archive_practice,
    checklist,
    missing_for_publication,
    publish_practice,
    send_back_practice,
    submit_practice,
    who_may_publish,
)

__all__ = [
    "EDITABLE_FIELDS",
    "RESERVED_SLUGS",
    "ChecklistIncomplete",
    "ChecklistItem",
    "FourEyesRequired",
    "PracticeContent",
    "PracticeInputs",
    "WorkflowError",
    "WorkflowStep",
    "announcing_once",
    "archive_practice",
    "can_edit",
    "can_view",
    "checklist",
    "content_from_snapshot",
    "create_practice",
    "delete_practice",
    "missing_for_publication",
    "practices_in_areas",
    "publish_practice",
    "record_admin_save",
    "refresh_search_vector",
    "restore_revision",
    "scoring_inputs",
    "send_back_practice",
    "submit_practice",
    "update_practice",
    "who_may_publish",
]
