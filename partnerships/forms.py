"""Forms of the cooperation pages. They check the shape of the input; the rules are the
services' (a refused write comes back as errors on the form's fields)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from bestpractices.models import BestPractice
from cities.models import City, Organization, PolicyArea
from cities.taxonomy import term
from matching.models import Match

from .models import (
    LedgerEntry,
    Partnership,
    PartnershipOrganization,
    Programme,
    Project,
)


class DateInput(forms.DateInput):
    input_type = "date"


class AreaChoiceField(forms.ModelMultipleChoiceField):
    """Policy areas as checkboxes, named in the reader's language."""

    def label_from_instance(self, obj: Any) -> str:
        return term(obj.name)


class AreaSingleChoiceField(forms.ModelChoiceField):
    """One policy area, named in the reader's language."""

    def label_from_instance(self, obj: Any) -> str:
        return term(obj.name)


def area_field(**kwargs) -> forms.ModelMultipleChoiceField:
    return AreaChoiceField(
        queryset=PolicyArea.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        to_field_name="code",
        **kwargs,
    )


def model_choice(form: forms.BaseForm, name: str) -> forms.ModelChoiceField[Any]:
    """The form's field ``name``, which the form declares as a ``ModelChoiceField``."""
    return cast("forms.ModelChoiceField[Any]", form.fields[name])


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put what a service refused on the form: on the field it names, else on the form."""
    messages = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
    for name, texts in messages.items():
        form.add_error(name if name in form.fields else None, texts)


class InterestForm(forms.Form):
    from_city = forms.ModelChoiceField(queryset=City.objects.none(), label=_("On behalf of"))
    policy_areas = area_field(label=_("Which policy areas"))
    message = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        label=_("Why this partner"),
        help_text=_(
            "A few sentences: what you admire in their work, what you hope to do together."
        ),
    )

    def __init__(self, *args, match: Match, cities: list[City], **kwargs):
        codes = [item["area"] for item in match.top_areas or []]
        kwargs.setdefault(
            "initial", {"policy_areas": codes, "from_city": cities[0] if cities else None}
        )
        super().__init__(*args, **kwargs)
        self.cities = cities
        model_choice(self, "from_city").queryset = City.objects.filter(
            pk__in=[c.pk for c in cities]
        )
        if len(cities) == 1:
            # The only city the user speaks for: nothing to choose.
            self.fields["from_city"].widget = forms.HiddenInput()
            self.fields["from_city"].required = False

    def clean_from_city(self) -> City | None:
        city: City | None = self.cleaned_data.get("from_city")
        if city is None and len(self.cities) == 1:
            return self.cities[0]
        return city


class DeclineForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        label=_("Reason"),
        help_text=_("Kind and specific: the other city learns from it."),
    )


class StartForm(forms.Form):
    kind = forms.ChoiceField(
        choices=Partnership.Kind.choices,
        initial=Partnership.Kind.DONOR_RECIPIENT,
        label=_("Kind"),
    )
    policy_areas = area_field(label=_("Policy areas"))
    reasons = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=5000,
        label=_("Why this partner"),
        help_text=_("Kept with the partnership, so a later council can see why it was chosen."),
    )
    programme = forms.ModelChoiceField(
        queryset=Programme.objects.none(),
        required=False,
        empty_label=_("None"),
        label=_("Programme"),
        help_text=_("Only programmes both cities are members of."),
    )
    review_on = forms.DateField(
        required=False,
        widget=DateInput,
        label=_("Review date"),
        help_text=_("Leave empty: set to three years after the agreement."),
    )

    def __init__(self, *args, programmes=None, **kwargs):
        super().__init__(*args, **kwargs)
        model_choice(self, "programme").queryset = (
            programmes if programmes is not None else Programme.objects.none()
        )


class EditForm(forms.Form):
    policy_areas = area_field(label=_("Policy areas"))
    reasons = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=5000,
        label=_("Why this partner"),
    )
    review_on = forms.DateField(required=False, widget=DateInput, label=_("Review date"))
    programme = forms.ModelChoiceField(
        queryset=Programme.objects.all(),
        required=False,
        empty_label=_("None"),
        label=_("Programme"),
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Move to"))
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
        label=_("Reason"),
        help_text=_("Needed to pause or end; for other steps, a note to the other city."),
    )
    outcome = forms.ChoiceField(
        choices=[("", "—"), *Partnership.Outcome.choices],
        required=False,
        label=_("Outcome"),
        help_text=_("Needed to conclude: good outcomes count as the donor's experience."),
    )
    override = forms.BooleanField(
        required=False,
        label=_("Admin override: move it without the cities' confirmation (recorded)"),
    )

    def __init__(self, *args, next_statuses: tuple[str, ...], allow_override: bool, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["status"]).choices = [
            (status, Partnership.Status(status).label) for status in next_statuses
        ]
        if not allow_override:
            del self.fields["override"]


class StepAnswerForm(forms.Form):
    """The other city's answer to a proposed step."""

    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
        label=_("Reason for declining"),
    )
    override = forms.BooleanField(
        required=False, label=_("Admin override: answer for the other city (recorded)")
    )


class OrganizationForm(forms.Form):
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.only("id", "name"), label=_("Organization")
    )
    role = forms.ChoiceField(
        choices=PartnershipOrganization.Role.choices, label=pgettext_lazy("organization", "Role")
    )
    note = forms.CharField(required=False, max_length=300, label=_("Note"))


class ReviewForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
        label=_("What the review found"),
    )
    next_review_on = forms.DateField(
        required=False,
        widget=DateInput,
        label=_("Next review"),
        help_text=_("Leave empty: in three years."),
    )


class CityNameChoiceField(forms.ModelChoiceField):
    """Cities labelled with their name alone."""

    def label_from_instance(self, obj: City) -> str:
        return obj.name


class LedgerForm(forms.Form):
    city = CityNameChoiceField(queryset=City.objects.none(), label=_("City"))
    direction = forms.ChoiceField(choices=LedgerEntry.Direction.choices, label=_("Direction"))
    kind = forms.ChoiceField(
        choices=LedgerEntry.Kind.choices, label=pgettext_lazy("ledger kind", "What")
    )
    amount = forms.DecimalField(
        required=False, min_value=0, max_digits=14, decimal_places=2, label=_("Amount")
    )
    unit = forms.CharField(
        required=False, max_length=20, label=_("Unit"), help_text=_("days, USD, contracts…")
    )
    description = forms.CharField(max_length=300, label=_("Description"))
    occurred_on = forms.DateField(required=False, widget=DateInput, label=_("Date"))

    def __init__(self, *args, partnership: Partnership, **kwargs):
        super().__init__(*args, **kwargs)
        model_choice(self, "city").queryset = City.objects.filter(pk__in=partnership.city_ids).only(
            "id", "name"
        )


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = [
            "title",
            "policy_area",
            "practice",
            "summary",
            "budget_usd",
            "funding_source",
            "status",
            "outcomes",
            "lessons",
        ]
        field_classes = {"policy_area": AreaSingleChoiceField}
        labels = {
            "title": _("Title"),
            "policy_area": _("Policy area"),
            "practice": _("Best practice it follows"),
            "summary": _("Summary"),
            "budget_usd": _("Budget (USD)"),
            "funding_source": _("Funding source"),
            "status": _("Status"),
            "outcomes": _("Outcomes"),
            "lessons": _("Lessons"),
        }
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "outcomes": forms.Textarea(attrs={"rows": 4}),
            "lessons": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "lessons": _("One lesson per paragraph; challenges and mistakes help others.")
        }

    def __init__(self, *args, areas: list[PolicyArea], **kwargs):
        super().__init__(*args, **kwargs)
        model_choice(self, "policy_area").queryset = PolicyArea.objects.filter(
            pk__in=[a.pk for a in areas]
        )
        model_choice(self, "practice").queryset = (
            BestPractice.objects.published().only("id", "title").order_by("title")
        )
        self.fields["practice"].required = False


class MilestoneForm(forms.Form):
    title = forms.CharField(max_length=200, label=_("Title"))
    due_on = forms.DateField(widget=DateInput, label=pgettext_lazy("milestone", "Due"))


class FigureForm(forms.Form):
    indicator = forms.CharField(
        max_length=200, label=_("Indicator"), help_text=_("e.g. Waste to landfill")
    )
    baseline = forms.FloatField(required=False, label=_("Baseline"))
    result = forms.FloatField(required=False, label=_("Result"))
    unit = forms.CharField(
        required=False, max_length=50, label=_("Unit"), help_text=_("e.g. t/day")
    )
    year = forms.IntegerField(required=False, min_value=1900, max_value=2100, label=_("Year"))


class ApplyForm(forms.Form):
    city = forms.ModelChoiceField(queryset=City.objects.none(), label=_("City"))
    has_adopted_plan = forms.BooleanField(
        required=False, label=_("The city has adopted a plan in these areas")
    )
    plan_title = forms.CharField(
        required=False,
        max_length=200,
        label=_("Its title"),
        help_text=_("e.g. Climate action plan 2030"),
    )

    def __init__(self, *args, cities: list[City], **kwargs):
        super().__init__(*args, **kwargs)
        model_choice(self, "city").queryset = City.objects.filter(pk__in=[c.pk for c in cities])
        if len(cities) == 1:
            self.fields["city"].initial = cities[0].pk
            self.fields["city"].widget = forms.HiddenInput()
