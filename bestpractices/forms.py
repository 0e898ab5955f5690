"""Forms of the catalogue pages: a practice with its steps, evidence, outcomes, lessons, partners.

``PracticeForms`` bundles the practice form and its five formsets, so that a view checks them
together, hands their content to the services, and shows every error beside its field, with
everything the author typed still in place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from cities.languages import content_language_choices
from cities.models import City, Organization, PolicyArea, Sector
from cities.taxonomy import term

from .models import ActionStep, BestPractice, Evidence, Lesson, Outcome, PracticePartner
from .revisions import PRACTICE_FIELDS, take_snapshot
from .services import PracticeContent

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from .permissions import AnyUser


def city_label(city: City) -> str:
    return f"{city.name} ({city.country})"


class CityChoiceField(forms.ModelChoiceField):
    """Any city is accepted; the drop-down lists the curated cities, the user's own and the
    current one (the full GeoNames set has tens of thousands)."""

    def label_from_instance(self, obj: City) -> str:
        return city_label(obj)


class TermMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Policy areas or sectors, named in the reader's language (sectors after their letter)."""

    def label_from_instance(self, obj: PolicyArea | Sector) -> str:
        name = term(obj.name)
        return f"{obj.code}: {name}" if isinstance(obj, Sector) else name


def _ui_language() -> str:
    return (translation.get_language() or "en").split("-")[0]


class BestPracticeForm(forms.ModelForm):
    city = CityChoiceField(
        queryset=City.objects.all(),
        label=_("Implementing city"),
        help_text=_("The city that carried out the practice."),
    )
    policy_areas = TermMultipleChoiceField(
        queryset=PolicyArea.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        label=_("Policy areas"),
        help_text=_("Choose at least one."),
    )
    sectors = TermMultipleChoiceField(
        queryset=Sector.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label=_("Economic sectors involved"),
    )

    class Meta:
        model = BestPractice
        fields = ["city", "language", "policy_areas", "sectors", *PRACTICE_FIELDS]
        labels = {
            "body": _("Story"),
            "cost_usd": _("Cost (USD)"),
            "cost_min_usd": _("or cost from (USD)"),
            "cost_max_usd": pgettext_lazy("cost", "to (USD)"),
            "population_min": _("Suits cities from (population)"),
            "population_max": pgettext_lazy("population", "to (population)"),
            "min_absorptive_capacity": _("Absorptive capacity needed (0–5)"),
            "min_budget_usd": _("Co-funding needed (USD)"),
            "people_served": _("People served"),
            "jobs_created": _("Jobs created"),
        }
        help_texts = {
            "body": _("Markdown: **bold**, lists, links. HTML is removed."),
            "cost_usd": _("One amount, or leave empty and give a range."),
            "contact": _("A name, office or e-mail address for questions."),
        }
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "body": forms.Textarea(attrs={"rows": 10}),
            "funding_sources": forms.Textarea(attrs={"rows": 2}),
            "context": forms.Textarea(attrs={"rows": 4}),
            "preconditions": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(
        self, *args: Any, user: AnyUser, city_slug: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        shown = Q(is_synthetic=False)
        if user.is_authenticated:
            shown |= Q(editors=user)
        if self.instance.city_id:
            shown |= Q(pk=self.instance.city_id)
        if city_slug:
            preset = City.objects.filter(slug=city_slug).first()
            if preset is not None:
                shown |= Q(pk=preset.pk)
                self.initial.setdefault("city", preset.pk)
        self.fields["language"] = forms.ChoiceField(
            choices=content_language_choices(),
            label=_("Language of the text"),
            help_text=_("The language you write this practice in."),
            required=False,
            initial=self.instance.language if self.instance.pk else _ui_language(),
        )
        cities = City.objects.filter(shown).distinct().order_by("name", "country")
        # Only the widget's choices shrink: the field's queryset still accepts any city.
        self.fields["city"].widget.choices = [("", gettext("Choose a city"))] + [
            (city.pk, city_label(city)) for city in cities.only("name", "country")
        ]

    # Which fields each part of the page shows, in order.
    SECTIONS = {
        "about": [
            "title",
            "city",
            "language",
            "summary",
            "body",
            "scale",
            "start_year",
            "end_year",
        ],
        "areas": ["policy_areas", "sectors"],
        "cost": ["cost_usd", "cost_min_usd", "cost_max_usd", "funding_sources", "contact"],
        "figures": [
            "co2_avoided_t_per_year",
            "energy_saved_mwh_per_year",
            "waste_diverted_t_per_year",
            "people_served",
            "jobs_created",
        ],
        "context": [
            "context",
            "population_min",
            "population_max",
            "min_absorptive_capacity",
            "min_budget_usd",
            "preconditions",
        ],
    }

    def section(self, name: str) -> list[forms.BoundField]:
        return [self[field] for field in self.SECTIONS[name]]

    def about_fields(self) -> list[forms.BoundField]:
        return self.section("about")

    def area_fields(self) -> list[forms.BoundField]:
        return self.section("areas")

    def cost_fields(self) -> list[forms.BoundField]:
        return self.section("cost")

    def figure_fields(self) -> list[forms.BoundField]:
        return self.section("figures")

    def context_fields(self) -> list[forms.BoundField]:
        return self.section("context")


class StepForm(forms.ModelForm):
    evidence_refs = forms.CharField(
        required=False,
        max_length=100,
        label=_("Evidence it rests on"),
        help_text=_("Numbers of the sources listed under Evidence, e.g. 1, 3."),
    )

    class Meta:
        model = ActionStep
        fields = ["title", "detail", "duration", "responsible"]
        widgets = {"detail": forms.Textarea(attrs={"rows": 2})}

    def clean_evidence_refs(self) -> list[int]:
        text = self.cleaned_data["evidence_refs"].replace(";", ",")
        numbers = []
        for part in filter(None, (piece.strip() for piece in text.split(","))):
            if not part.isdigit() or int(part) < 1:
                raise ValidationError(
                    gettext("“%(part)s” is not a source number; write e.g. 1, 3.") % {"part": part}
                )
            numbers.append(int(part))
        return sorted(set(numbers))


class EvidenceForm(forms.ModelForm):
    url = forms.URLField(label="URL", max_length=500, required=False, assume_scheme="https")

    class Meta:
        model = Evidence
        fields = ["title", "doi", "url", "year", "kind"]


class OutcomeForm(forms.ModelForm):
    class Meta:
        model = Outcome
        fields = ["indicator", "baseline", "result", "unit", "year"]


class LessonForm(forms.ModelForm):
    class Meta:
        model = Lesson
        fields = ["what_went_wrong", "do_differently"]
        widgets = {
            "what_went_wrong": forms.Textarea(attrs={"rows": 2}),
            "do_differently": forms.Textarea(attrs={"rows": 2}),
        }


class PartnerForm(forms.Form):
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.all(), label=_("Organization")
    )
    # The initial role is what a browser sends for an untouched row, so that row stays empty.
    role = forms.ChoiceField(
        choices=PracticePartner.Role.choices,
        initial=PracticePartner.Role.TECHNICAL,
        label=_("Role"),
    )


class RowsFormSet(forms.BaseFormSet):
    """The rows of one list of the practice (steps, evidence…)."""

    # What one row is called in the list of errors ("Step 2, title: …").
    row_label: StrOrPromise = ""

    def add_service_errors(self, messages: list[str]) -> None:
        """Errors the services found in these rows, shown above them with the formset's own."""
        self._non_form_errors = self.error_class(
            [*self.non_form_errors(), *messages], error_class="nonform"
        )


def _rows_formset(
    form: type[forms.BaseForm], *, extra: int, can_order: bool = False
) -> type[RowsFormSet]:
    """A formset class of ``RowsFormSet`` whose rows can be removed."""
    formset = forms.formset_factory(
        form, formset=RowsFormSet, extra=extra, can_delete=True, can_order=can_order
    )
    # The stubs type the result as the base formset class, whatever ``formset`` is given.
    return cast(type[RowsFormSet], formset)


StepFormSet = _rows_formset(StepForm, extra=2, can_order=True)
EvidenceFormSet = _rows_formset(EvidenceForm, extra=2)
OutcomeFormSet = _rows_formset(OutcomeForm, extra=2)
LessonFormSet = _rows_formset(LessonForm, extra=2)
PartnerFormSet = _rows_formset(PartnerForm, extra=1)


class PracticeForms:
    """The practice form and its formsets, checked and read as one."""

    FORMSETS: dict[str, type[RowsFormSet]] = {
        "steps": StepFormSet,
        "evidence": EvidenceFormSet,
        "outcomes": OutcomeFormSet,
        "lessons": LessonFormSet,
        "partners": PartnerFormSet,
    }
    ROW_LABELS: dict[str, StrOrPromise] = {
        "steps": _("Step"),
        "evidence": _("Source"),
        "outcomes": _("Outcome"),
        "lessons": _("Lesson"),
        "partners": _("Partner"),
    }

    def __init__(
        self,
        data: Any = None,
        *,
        user: AnyUser,
        practice: BestPractice | None = None,
        city_slug: str | None = None,
    ) -> None:
        self.form = BestPracticeForm(data, instance=practice, user=user, city_slug=city_slug)
        initial = _initial_rows(practice) if practice is not None else {}
        self.formsets: dict[str, RowsFormSet] = {
            key: formset_class(data, prefix=key, initial=initial.get(key))
            for key, formset_class in self.FORMSETS.items()
        }
        for key, formset in self.formsets.items():
            formset.row_label = self.ROW_LABELS[key]

    def __getattr__(self, name: str) -> RowsFormSet:
        # Templates read {{ forms.steps }}, {{ forms.evidence }}…
        formsets = self.__dict__.get("formsets", {})
        if name in formsets:
            return formsets[name]
        raise AttributeError(name)

    def is_valid(self) -> bool:
        results = [self.form.is_valid()] + [fs.is_valid() for fs in self.formsets.values()]
        return all(results)

    @property
    def error_count(self) -> int:
        count = len(self.form.errors)
        for formset in self.formsets.values():
            count += len(formset.non_form_errors())
            count += sum(len(errors) for errors in formset.errors)
        return count

    def content(self) -> PracticeContent:
        data = self.form.cleaned_data
        rows = {key: _rows(formset) for key, formset in self.formsets.items()}
        return PracticeContent(
            fields={
                **{name: data[name] for name in [*PRACTICE_FIELDS, "city"]},
                "language": data.get("language") or _ui_language(),
            },
            policy_areas=list(data["policy_areas"]),
            sectors=list(data["sectors"]),
            partners=[(row["organization"], row["role"]) for row in rows["partners"]],
            steps=rows["steps"],
            evidence=rows["evidence"],
            outcomes=rows["outcomes"],
            lessons=rows["lessons"],
        )

    def add_service_errors(self, error: ValidationError) -> None:
        """Errors the services found: a field's beside it, a row's above its formset."""
        for name, messages in error.message_dict.items():
            if name in self.form.fields:
                for message in messages:
                    self.form.add_error(name, message)
            elif name in self.formsets:
                self.formsets[name].add_service_errors(messages)
            else:
                for message in messages:
                    self.form.add_error(None, f"{name}: {message}")


def _rows(formset: RowsFormSet) -> list[dict[str, Any]]:
    """The filled-in rows, in order (steps by their order field), without deleted ones."""
    forms_in_order = formset.ordered_forms if formset.can_order else formset.forms
    deleted = formset.deleted_forms
    rows = []
    for form in forms_in_order:
        if form in deleted:
            continue
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("DELETE", "ORDER")}
        if data:
            rows.append(data)
    return rows


def _initial_rows(practice: BestPractice) -> dict[str, list[dict[str, Any]]]:
    snapshot = take_snapshot(practice)
    steps = [
        {
            **step,
            "evidence_refs": ", ".join(str(ref) for ref in step["evidence_refs"]),
            "ORDER": number,
        }
        for number, step in enumerate(snapshot["steps"], start=1)
    ]
    partners = [
        {"organization": partner["organization_id"], "role": partner["role"]}
        for partner in snapshot["partners"]
    ]
    return {
        "steps": steps,
        "evidence": snapshot["evidence"],
        "outcomes": snapshot["outcomes"],
        "lessons": snapshot["lessons"],
        "partners": partners,
    }
