"""Forms of the city pages: the profile an editor keeps current."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from toolkit.pages import QuickSelect

from .models import City, PolicyArea, Sector, language_code_validator
from .profile import EXPERTISE_LABELS, FIELD, NEED_LABELS, PAGE_FIELDS, level_choices
from .taxonomy import term

EXPERTISE_CHOICES = level_choices(EXPERTISE_LABELS)
NEED_CHOICES = level_choices(NEED_LABELS)
# Sector shares are typed as percentages of the economy here (stored as fractions).
PERCENT_MAX = 100


class CityProfileForm(forms.ModelForm):
    """The profile of one city, with a grid of expertise/need levels and sector shares.

    Fields, labels, help and limits come from the profile schema through the model. The
    taxonomies are passed in (already loaded by the view) so that building the form costs no
    query. ``profile_levels()`` and ``sector_shares()`` give the grid's cleaned values in the
    shape of the API (``{"waste": 3}``, ``{"E": 0.2}``).
    """

    languages = forms.CharField(
        required=False,
        max_length=200,
        label=FIELD["languages"].label,
        help_text=_("Two-letter ISO 639-1 codes separated by commas, such as: en, fr, vi."),
    )

    class Meta:
        model = City
        fields = list(PAGE_FIELDS)
        widgets = {"sources": forms.Textarea(attrs={"rows": 3}), "role": QuickSelect}

    def __init__(
        self,
        *args: Any,
        policy_areas: Iterable[PolicyArea],
        sectors: Iterable[Sector],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.policy_areas = list(policy_areas)
        self.sectors = list(sectors)
        if not self.is_bound and self.instance.pk:
            self.initial["languages"] = ", ".join(self.instance.languages or [])
        for name, field in self.fields.items():
            if name in FIELD and FIELD[name].limit is not None:
                # The model's plausible limit (``WithinLimit``) speaks for the column's range.
                field.validators = [
                    check for check in field.validators if type(check) is not MaxValueValidator
                ]
                field.widget.attrs.pop("max", None)
        levels = self._stored_levels()
        shares = self._stored_shares()
        for area in self.policy_areas:
            expertise, need = levels.get(area.code, (0, 0))
            self.fields[f"expertise_{area.code}"] = forms.TypedChoiceField(
                choices=EXPERTISE_CHOICES,
                coerce=int,
                initial=expertise,
                label=gettext("Expertise in %(area)s") % {"area": term(area.name)},
                widget=QuickSelect,
            )
            self.fields[f"need_{area.code}"] = forms.TypedChoiceField(
                choices=NEED_CHOICES,
                coerce=int,
                initial=need,
                label=gettext("Need in %(area)s") % {"area": term(area.name)},
                widget=QuickSelect,
            )
        for sector in self.sectors:
            self.fields[f"sector_{sector.code}"] = forms.DecimalField(
                required=False,
                min_value=0,
                max_value=PERCENT_MAX,
                decimal_places=2,
                initial=shares.get(sector.code),
                label=gettext("%(code)s: %(sector)s (percent of the economy)")
                % {"code": sector.code, "sector": term(sector.name)},
            )

    def _stored_levels(self) -> dict[str, tuple[int, int]]:
        if not self.instance.pk:
            return {}
        return {
            row.policy_area.code: (row.expertise, row.need)
            for row in self.instance.area_levels.all()
        }

    def _stored_shares(self) -> dict[str, str]:
        """Stored fractions as the percentages the form shows ("30", "12.5")."""
        if not self.instance.pk:
            return {}
        return {
            row.sector.code: f"{round(row.share * 100, 2):g}"
            for row in self.instance.sector_shares.all()
        }

    def clean_languages(self) -> list[str]:
        raw = self.cleaned_data.get("languages") or ""
        codes: list[str] = []
        for part in raw.replace(";", ",").replace(" ", ",").split(","):
            code = part.strip().lower()
            if not code:
                continue
            try:
                language_code_validator(code)
            except ValidationError as exc:
                raise ValidationError(
                    gettext("“%(code)s” is not a two-letter code.") % {"code": part.strip()}
                    + " "
                    + exc.messages[0]
                ) from exc
            if code not in codes:
                codes.append(code)
        return codes

    # The grid, for the template: one row per policy area, both selects side by side.
    def area_rows(self) -> list[tuple[PolicyArea, forms.BoundField, forms.BoundField]]:
        return [
            (area, self[f"expertise_{area.code}"], self[f"need_{area.code}"])
            for area in self.policy_areas
        ]

    def sector_rows(self) -> list[tuple[Sector, forms.BoundField]]:
        return [(sector, self[f"sector_{sector.code}"]) for sector in self.sectors]

    def profile_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in PAGE_FIELDS]

    def profile_values(self) -> dict[str, Any]:
        """The profile fields as cleaned, for the service."""
        return {name: self.cleaned_data[name] for name in PAGE_FIELDS}

    def profile_levels(self) -> tuple[dict[str, int], dict[str, int]]:
        """(expertise, needs) as ``{code: level}`` for every policy area."""
        expertise = {a.code: self.cleaned_data[f"expertise_{a.code}"] for a in self.policy_areas}
        needs = {a.code: self.cleaned_data[f"need_{a.code}"] for a in self.policy_areas}
        return expertise, needs

    def sector_shares(self) -> dict[str, float]:
        """``{letter: share}`` with shares as fractions; empty and zero sectors are left out."""
        shares: dict[str, float] = {}
        for sector in self.sectors:
            percent = self.cleaned_data.get(f"sector_{sector.code}")
            if percent:
                shares[sector.code] = float(percent) / 100
        return shares
