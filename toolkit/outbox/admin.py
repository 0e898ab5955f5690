from django.contrib import admin

from .models import Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("id", "task", "created_at", "sent_at", "attempts")
    list_filter = ("task", ("sent_at", admin.EmptyFieldListFilter))
    readonly_fields = ("task", "kwargs", "created_at", "sent_at", "attempts", "last_error")
