from django.contrib import admin

from .models import EmailPreference, MailBounce, Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("title", "recipient", "kind", "created_at", "read_at", "emailed_at")
    list_filter = ("kind",)
    search_fields = ("title", "recipient__username", "recipient__email")
    raw_id_fields = ("recipient",)
    readonly_fields = ("content_type", "object_id", "created_at", "emailed_at", "email_skipped")


@admin.register(EmailPreference)
class EmailPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "delivery")
    list_filter = ("kind", "delivery")
    raw_id_fields = ("user",)


@admin.register(MailBounce)
class MailBounceAdmin(admin.ModelAdmin):
    """Delete a row once the user's address works again."""

    list_display = ("user", "address", "reason", "created_at")
    search_fields = ("user__username", "address")
    raw_id_fields = ("user",)
