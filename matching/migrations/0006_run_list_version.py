"""A version per run of what its match lists show, keying their cached pages (issue 12)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0005_match_list_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="matchrun",
            name="list_version",
            field=models.PositiveBigIntegerField(default=0, editable=False),
        ),
    ]
