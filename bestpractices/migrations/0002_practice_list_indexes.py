"""Indexes that hold the default order of the list (issue 12)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("bestpractices", "0001_initial"),
        ("cities", "0002_taxonomies"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="bestpractice",
            index=models.Index(fields=["title", "id"], name="practice_title_order"),
        ),
        migrations.AddIndex(
            model_name="bestpractice",
            index=models.Index(fields=["status", "title", "id"], name="practice_status_title"),
        ),
    ]
