from tests.pages import (  # noqa: F401  (fixtures of this folder)
    active_run,
    donor,
    editor,
    editor_client,
    match,
    recipient,
)
