import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citymatch.settings")

application = get_wsgi_application()

from citymatch.startup import refuse_development_key  # noqa: E402

refuse_development_key()

# A profile edit rescores its city, on the request when no broker is configured: the engine's
# compiled kernels are loaded now (from their disk cache), not on a user's first edit.
from matching.receivers import warm_up_engine  # noqa: E402

warm_up_engine()

# Without a broker this process rescores profile edits itself (in-process tasks): it reads the
# profiles now, as a worker does when it starts, so the first edit does not wait for them.
from django.conf import settings  # noqa: E402

if settings.CELERY_TASK_ALWAYS_EAGER:
    from matching.receivers import warm_up_rescoring

    warm_up_rescoring()

# Last: everything above lives as long as the process (``toolkit.process``).
from toolkit.process import freeze_start_up_objects  # noqa: E402

freeze_start_up_objects()
