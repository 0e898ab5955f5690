"""A match's top areas as compact text ("waste:3:2 air:2:1") instead of jsonb (issue 14).

The column is a third of a match row as jsonb and the costliest one for the server to read
during a run's COPY. Existing values are rewritten in the new form (and back on reverse), one
UPDATE through a table of the distinct values.
"""

import json

from django.db import migrations

import matching.fields


def _rewrite(apps, schema_editor, convert):
    """Replace every value by ``convert(value)``: one UPDATE through a table of the distinct
    values (a run has ~1e6 rows but a few thousand distinct top areas)."""
    quote = schema_editor.connection.ops.quote_name
    table, mapping = quote("matching_match"), quote("matching_top_areas_rewrite")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT top_areas FROM {table}")
        pairs = [(value, convert(value)) for (value,) in cursor.fetchall()]
        pairs = [(old, new) for old, new in pairs if new != old]
        if not pairs:
            return
        cursor.execute(
            f"CREATE TEMPORARY TABLE {mapping} (old TEXT PRIMARY KEY, new TEXT NOT NULL)"
        )
        cursor.executemany(f"INSERT INTO {mapping} (old, new) VALUES (%s, %s)", pairs)
        cursor.execute(
            f"UPDATE {table} SET top_areas = "
            f"(SELECT new FROM {mapping} WHERE {mapping}.old = {table}.top_areas) "
            f"WHERE top_areas IN (SELECT old FROM {mapping})"
        )
        cursor.execute(f"DROP TABLE {mapping}")


def to_text(apps, schema_editor):
    def convert(value: str) -> str:
        # The column holds the JSON text here; a value written by the new code is left as is.
        if not value.startswith("["):
            return value
        return matching.fields.format_top_areas(json.loads(value))

    _rewrite(apps, schema_editor, convert)


def to_json(apps, schema_editor):
    def convert(value: str) -> str:
        if value.startswith("["):
            return value
        return json.dumps(matching.fields.parse_top_areas(value))

    _rewrite(apps, schema_editor, convert)


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0007_verbose_names"),
    ]

    operations = [
        migrations.AlterField(
            model_name="match",
            name="top_areas",
            field=matching.fields.TopAreasField(
                default=list,
                help_text="[{area, need, expertise}], best first.",
                verbose_name="top areas",
            ),
        ),
        migrations.RunPython(to_text, to_json),
    ]
