from django.db import migrations


def load_taxonomies(apps, schema_editor):
    from cities.taxonomy import POLICY_AREAS, RELEVANCE, SECTORS

    PolicyArea = apps.get_model("cities", "PolicyArea")
    Sector = apps.get_model("cities", "Sector")
    SectorRelevance = apps.get_model("cities", "SectorRelevance")
    areas = {}
    for position, (code, name, description, targets) in enumerate(POLICY_AREAS):
        areas[code], _ = PolicyArea.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "description": description,
                "sdg_targets": targets,
                "position": position,
            },
        )
    for code, name in SECTORS:
        sector, _ = Sector.objects.update_or_create(code=code, defaults={"name": name})
        for area_code in RELEVANCE[code]:
            SectorRelevance.objects.get_or_create(sector=sector, policy_area=areas[area_code])


class Migration(migrations.Migration):
    dependencies = [("cities", "0001_initial")]

    operations = [migrations.RunPython(load_taxonomies, migrations.RunPython.noop)]
