"""An index per order of the match lists, each with its tie-breakers (issue 12)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cities", "0002_taxonomies"),
        ("matching", "0004_run_heartbeat"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="match",
            name="match_run_score",
        ),
        migrations.AddIndex(
            model_name="match",
            index=models.Index(
                fields=["run", "-score", "recipient", "donor"], name="match_run_order"
            ),
        ),
        migrations.AddIndex(
            model_name="match",
            index=models.Index(
                fields=["run", "donor_rank", "-score", "recipient", "donor"],
                name="match_run_donor_rank",
            ),
        ),
        migrations.AddIndex(
            model_name="match",
            index=models.Index(
                fields=["run", "recipient_rank", "-score", "recipient", "donor"],
                name="match_run_recipient_rank",
            ),
        ),
    ]
