from django.db import migrations


def create_default_profile(apps, schema_editor):
    ScoringProfile = apps.get_model("matching", "ScoringProfile")
    if not ScoringProfile.objects.filter(is_default=True).exists():
        ScoringProfile.objects.create(name="Default", is_default=True)


class Migration(migrations.Migration):
    dependencies = [("matching", "0001_initial")]

    operations = [migrations.RunPython(create_default_profile, migrations.RunPython.noop)]
