"""The eight score components as integer millionths instead of double precision (issue 14).

A component is kept to six decimals (SCORING.md); as a 4-byte count of millionths it reads back
as the same float and a match row is 32 bytes narrower, which a run's COPY and index builds and
every list page read. Existing values are scaled before the type changes (and back after it on
reverse).
"""

from django.db import migrations

import matching.fields

COMPONENTS = (
    "need_fit",
    "evidence",
    "reciprocity",
    "size",
    "industry",
    "capacity",
    "budget",
    "language",
)


def _scale(schema_editor, expression: str) -> None:
    quote = schema_editor.quote_name
    assignments = ", ".join(
        f"{quote(name)} = {expression.format(column=quote(name))}" for name in COMPONENTS
    )
    schema_editor.execute(f"UPDATE {quote('matching_match')} SET {assignments}")


def to_millionths(apps, schema_editor):
    _scale(schema_editor, "ROUND({column} * 1000000)")


def to_fractions(apps, schema_editor):
    _scale(schema_editor, "{column} / 1000000.0")


class Migration(migrations.Migration):
    dependencies = [("matching", "0007_staging_blobs_uncompressed")]

    operations = [
        # Scaled while the columns are still floats; on reverse, after they are again.
        migrations.RunPython(to_millionths, to_fractions),
        *(
            migrations.AlterField(
                model_name="match", name=name, field=matching.fields.MillionthsField()
            )
            for name in COMPONENTS
        ),
    ]
