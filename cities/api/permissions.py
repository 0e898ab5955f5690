"""Permission classes of the API, built on the rules in cities/permissions.py."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from ..permissions import can_edit_city, is_agency


class AgencyMayCreate(BasePermission):
    """Creating (a city, a run, an import) is for admins and agency users."""

    message = _("Only admins and agency users may do this.")
    create_actions = frozenset({"create", "import_file"})

    def has_permission(self, request, view) -> bool:
        if getattr(view, "action", None) in self.create_actions:
            return is_agency(request.user)
        return True


class CityEditorMayChange(BasePermission):
    """Changing or deleting a city is for its editors and admins."""

    message = _("Only editors of this city and admins may change it.")

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return can_edit_city(request.user, obj)
