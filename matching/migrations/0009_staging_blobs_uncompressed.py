"""On PostgreSQL, a run's staging blobs (frozen inputs, shard results) are stored uncompressed.

They live for the length of one run. PostgreSQL compressed each one (a few megabytes) when it
was written and decompressed it when the run's last step read it back, which took longer than
storing and reading the bytes as they are (issue 14). ``STORAGE EXTERNAL`` keeps them out of line
without compression.
"""

from django.db import migrations

COLUMNS = (("matching_runshard", "result"), ("matching_runinputs", "data"))


def _set_storage(schema_editor, storage: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    for table, column in COLUMNS:
        schema_editor.execute(
            f"ALTER TABLE {quote(table)} ALTER COLUMN {quote(column)} SET STORAGE {storage}"
        )


def forward(apps, schema_editor):
    _set_storage(schema_editor, "EXTERNAL")


def backward(apps, schema_editor):
    _set_storage(schema_editor, "EXTENDED")


class Migration(migrations.Migration):
    dependencies = [("matching", "0008_match_compact_top_areas")]

    operations = [migrations.RunPython(forward, backward)]
