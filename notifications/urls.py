from django.urls import path

from . import views

urlpatterns = [
    path("inbox/", views.inbox, name="notification-inbox"),
    path("inbox/read-all/", views.mark_all_read, name="notification-read-all"),
    path("inbox/settings/", views.preferences, name="notification-preferences"),
    path("inbox/<int:pk>/open/", views.open_notification, name="notification-open"),
]
