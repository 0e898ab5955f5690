from django.contrib import admin

from .models import Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("id", "task", "created_at", "sent_at", "attempts")
    list_filter = ("task", ("sent_at", admin.EmptyFieldListFilter))
    readonly_fields = ("task", "kwargs", "created_at", "sent_at", "attempts", "last_error")

    def has_add_permission(self, request) -> bool:
        return False  # messages come from the code that asks for the work
