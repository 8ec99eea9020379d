"""The fixed province list (ISO 3166-2:PK), created once so every database has the same rows."""

from django.db import migrations

PROVINCES = [
    ("PK-PB", "Punjab"),
    ("PK-SD", "Sindh"),
    ("PK-KP", "Khyber Pakhtunkhwa"),
    ("PK-BA", "Balochistan"),
    ("PK-GB", "Gilgit-Baltistan"),
    ("PK-JK", "Azad Jammu and Kashmir"),
    ("PK-IS", "Islamabad Capital Territory"),
]


def create_provinces(apps, schema_editor):
    Province = apps.get_model("projects", "Province")
    for code, name in PROVINCES:
        Province.objects.update_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial")]

    operations = [migrations.RunPython(create_provinces, migrations.RunPython.noop)]
