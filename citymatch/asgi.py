import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citymatch.settings")

application = get_asgi_application()

from citymatch.startup import refuse_development_key  # noqa: E402

refuse_development_key()

# Last: everything above lives as long as the process (``toolkit.process``).
from toolkit.process import freeze_start_up_objects  # noqa: E402

freeze_start_up_objects()
