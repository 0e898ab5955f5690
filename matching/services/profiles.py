"""Scoring profiles: exactly one is the default, and its weights can score."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..models import COMPONENTS, ScoringProfile


def validate_profile(profile: ScoringProfile) -> None:
    """Raise ValidationError (keyed by field) for a profile that cannot be saved as it is."""
    if sum(getattr(profile, f"weight_{name}") for name in COMPONENTS) <= 0:
        raise ValidationError({"weight_need_fit": _("At least one weight must be greater than 0.")})
    if not profile.is_default and profile.pk:
        was_default = ScoringProfile.objects.filter(pk=profile.pk, is_default=True).exists()
        if was_default:
            raise ValidationError(
                {
                    "is_default": _(
                        "One profile must stay the default: make another one the default."
                    )
                }
            )


def save_profile(*, profile: ScoringProfile) -> ScoringProfile:
    """Save a profile; making it the default takes the flag from the previous default."""
    validate_profile(profile)
    with transaction.atomic():
        if profile.is_default:
            ScoringProfile.objects.filter(is_default=True).exclude(pk=profile.pk).update(
                is_default=False
            )
        profile.save()
    return profile
