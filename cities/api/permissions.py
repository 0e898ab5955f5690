"""Permission classes of the API, built on the rules in cities/permissions.py."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from ..importing import may_import
from ..permissions import can_edit_city, is_agency


class AgencyMayCreate(BasePermission):
    """Creating (a city, a run) is for admins and agency users."""

    message = _("Only admins and agency users may do this.")
    create_actions = frozenset({"create"})

    def has_permission(self, request, view) -> bool:
        if getattr(view, "action", None) in self.create_actions:
            return is_agency(request.user)
        return True


class MayImport(BasePermission):
    """Importing is for admins, agency users and cities' editors; each row is then checked
    against what the user may write (``cities.importing.access``)."""

    message = _("Only admins, agency users and the editors of a city may import cities.")

    def has_permission(self, request, view) -> bool:
        if getattr(view, "action", None) == "import_file":
            return may_import(request.user)
        return True


class CityEditorMayChange(BasePermission):
    """Changing or deleting a city is for its editors and admins."""

    message = _("Only editors of this city and admins may change it.")

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return can_edit_city(request.user, obj)
