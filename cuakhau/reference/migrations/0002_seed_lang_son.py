from django.db import migrations

from cuakhau.reference import seed_data


def load(apps, schema_editor):
    seed_data.load(apps)


def unload(apps, schema_editor):
    seed_data.unload(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("reference", "0001_initial"),
        ("gates", "0001_initial"),
        ("accounts", "0001_initial"),
    ]

    operations = [migrations.RunPython(load, unload)]
