"""The match lists' indexes without the run id in front.

On PostgreSQL every run's matches are a partition of their own, so the run id was the same in
every key of a partition's index: a run's index builds compared it first in every step of
their sorts and stored it in every entry, for nothing (a list reads one run's partition only).
The constraints keep it: a unique constraint and the primary key of a partitioned table must
hold the partition key. On PostgreSQL the new indexes are built on every partition.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cities", "0006_translated_labels"),
        ("matching", "0011_run_error_message"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="match",
            name="match_run_recipient",
        ),
        migrations.RemoveIndex(
            model_name="match",
            name="match_run_order",
        ),
        migrations.RemoveIndex(
            model_name="match",
            name="match_run_donor_rank",
        ),
        migrations.RemoveIndex(
            model_name="match",
            name="match_run_recipient_rank",
        ),
        migrations.AddIndex(
            model_name="match",
            index=models.Index(fields=["-score", "recipient", "donor"], name="match_order"),
        ),
        migrations.AddIndex(
            model_name="match",
            index=models.Index(fields=["recipient", "recipient_rank"], name="match_recipient"),
        ),
        migrations.AddIndex(
            model_name="match",
            index=models.Index(
                fields=["donor_rank", "-score", "recipient", "donor"], name="match_donor_rank"
            ),
        ),
        migrations.AddIndex(
            model_name="match",
            index=models.Index(
                fields=["recipient_rank", "-score", "recipient", "donor"],
                name="match_recipient_rank",
            ),
        ),
    ]
