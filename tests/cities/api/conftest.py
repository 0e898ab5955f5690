from tests.api_clients import (  # noqa: F401  (fixtures of this folder)
    active_run,
    admin_client,
    agency_client,
    client_of,
    user_client,
)
