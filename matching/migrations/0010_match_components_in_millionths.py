"""The eight score components as integer millionths instead of double precision (issue 14).

A component is kept to six decimals (SCORING.md); as a 4-byte count of millionths it reads back
as the same float and a match row is 32 bytes narrower, which a run's COPY and index builds and
every list page read.

On PostgreSQL the values are converted by one ALTER TABLE for the eight columns (one rewrite of
the table instead of one per column); the AlterFields then find the type already changed. On
reverse the last operation converts them back at once. Elsewhere the values are scaled in
place and the AlterFields change the columns.
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


def _alter_all(schema_editor, sql_type: str, using: str) -> None:
    quote = schema_editor.quote_name
    clauses = ", ".join(
        f"ALTER COLUMN {quote(name)} TYPE {sql_type} USING {using.format(column=quote(name))}"
        for name in COMPONENTS
    )
    schema_editor.execute(f"ALTER TABLE {quote('matching_match')} {clauses}")


def _scale(schema_editor, expression: str) -> None:
    quote = schema_editor.quote_name
    assignments = ", ".join(
        f"{quote(name)} = {expression.format(column=quote(name))}" for name in COMPONENTS
    )
    schema_editor.execute(f"UPDATE {quote('matching_match')} SET {assignments}")


def _postgres(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


def to_millionths(apps, schema_editor):
    if _postgres(schema_editor):
        _alter_all(schema_editor, "integer", "ROUND({column} * 1000000)::integer")
    else:
        _scale(schema_editor, "ROUND({column} * 1000000)")


def to_fractions_elsewhere(apps, schema_editor):
    if not _postgres(schema_editor):
        _scale(schema_editor, "{column} / 1000000.0")


def to_fractions_on_postgres(apps, schema_editor):
    if _postgres(schema_editor):
        _alter_all(schema_editor, "double precision", "{column} / 1000000.0")


class Migration(migrations.Migration):
    dependencies = [("matching", "0009_staging_blobs_uncompressed")]

    operations = [
        migrations.RunPython(to_millionths, to_fractions_elsewhere),
        *(
            migrations.AlterField(
                model_name="match",
                name=name,
                field=matching.fields.MillionthsField(verbose_name=name.replace("_", " ")),
            )
            for name in COMPONENTS
        ),
        migrations.RunPython(migrations.RunPython.noop, to_fractions_on_postgres),
    ]
