"""Helpers the cooperation pages share."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404

from ..forms import add_service_errors
from ..models import Partnership

T = TypeVar("T")


def run_service(form: forms.BaseForm, call: Callable[[], T]) -> T | None:
    """Call the service once the form is valid; what it refuses lands on the form."""
    if not form.is_valid():
        return None
    try:
        return call()
    except ValidationError as error:
        add_service_errors(form, error)
        return None


def get_partnership(pk: int) -> Partnership:
    return get_object_or_404(Partnership.objects.for_list().select_related("created_by"), pk=pk)


def error_lines(error: ValidationError) -> list[str]:
    """A service's refusal as lines for a page: "field: message" (or just the message)."""
    if not hasattr(error, "error_dict"):
        return list(error.messages)
    return [
        text if name == "__all__" else f"{name.replace('_', ' ')}: {text}"
        for name, texts in error.message_dict.items()
        for text in texts
    ]
