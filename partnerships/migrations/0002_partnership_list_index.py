"""Indexes that hold the default order of the list (issue 12)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cities", "0002_taxonomies"),
        ("partnerships", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="partnership",
            index=models.Index(fields=["-updated_at", "-id"], name="partnership_recent"),
        ),
    ]
