"""What every API operation may answer besides its success, written into the OpenAPI schema.

Views document their own answers (a 409 on a busy run, a 400 report on an import); this hook
adds the ones every operation shares, so that a client, and schemathesis, find every status
the code returns: 400 for bad parameters or bodies, 401/403 where sign-in is needed or a role
is refused, 404 for unknown ids and pages, 413/415 for bodies, 429 for throttling.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from rest_framework.permissions import SAFE_METHODS

ERROR_SCHEMA = {
    "type": "object",
    "description": "What went wrong: ``detail`` for the request as a whole, or a list of "
    "messages per field or parameter.",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}

DESCRIPTIONS = {
    "400": "Invalid parameters or body: the messages name each field.",
    "401": "Not signed in (no or an unknown token).",
    "403": "Signed in, but this user may not do this.",
    "404": "No such resource, or a page past the end.",
    "413": "The body is larger than the limit.",
    "415": "The body's content type is not accepted.",
    "429": "Too many requests: wait for Retry-After seconds.",
}
# Query parameters whose empty value is an error (400), not "not given".
STRICT_PARAMS = {"format", "page_size"}
WRITE_METHODS = {"post", "put", "patch", "delete"}
# Answers no matter who asks; health is polled by monitors and never throttled.
UNTHROTTLED = {"/api/health/"}


def _needs_sign_in(operation: dict[str, Any]) -> bool:
    security = operation.get("security") or []
    return bool(security) and {} not in security


def _error(code: str) -> dict[str, Any]:
    return {
        "description": DESCRIPTIONS[code],
        "content": {"application/json": {"schema": ERROR_REF}},
    }


def _also_parameter_errors(response: dict[str, Any] | None) -> None:
    """A 400 the view documents with its own body (an import's report) may also be a
    parameter's message (``?format=``, ``?page_size=``): either shape is documented."""
    if not response:
        return
    for media in response.get("content", {}).values():
        schema = media.get("schema")
        if schema and schema != ERROR_REF and "anyOf" not in schema:
            media["schema"] = {"anyOf": [schema, ERROR_REF]}


def add_error_responses(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: add the shared error answers to every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            codes = []
            if operation.get("parameters") or operation.get("requestBody"):
                codes.append("400")
            if _needs_sign_in(operation) or method in WRITE_METHODS:
                codes += ["401", "403"]
            if "{" in path or any(p.get("name") == "page" for p in operation.get("parameters", [])):
                codes.append("404")
            if operation.get("requestBody"):
                codes += ["413", "415"]
            if path not in UNTHROTTLED:
                codes.append("429")
            for parameter in operation.get("parameters", []):
                # django-filter reads an empty value as "no filter", and an empty page is the
                # first; say so (an empty yes/no, number or choice is otherwise invalid). A
                # required parameter needs a value: empty is refused like missing.
                if (
                    parameter.get("in") == "query"
                    and parameter["name"] not in STRICT_PARAMS
                    and not parameter.get("required")
                ):
                    parameter["allowEmptyValue"] = True
            responses = operation.setdefault("responses", {})
            for code in codes:
                responses.setdefault(code, _error(code))
            _also_parameter_errors(responses.get("400"))
    return result


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema, knowing our permission classes that let anyone read: a
    permission with ``public_reads = True`` makes safe methods need no sign-in."""

    def get_auth(self) -> list[dict[str, Any]]:
        auths = super().get_auth()
        public = any(getattr(p, "public_reads", False) for p in self.view.get_permissions())
        if public and self.method in SAFE_METHODS and {} not in auths:
            auths.append({})
        return auths
