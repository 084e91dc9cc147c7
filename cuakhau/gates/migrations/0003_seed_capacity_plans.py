from django.db import migrations

from cuakhau.reference import seed_data


def load(apps, schema_editor):
    seed_data.load_capacity(apps)


def unload(apps, schema_editor):
    apps.get_model("gates", "CapacityPlan").objects.all().delete()
    apps.get_model("gates", "WorkingHours").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("gates", "0002_capacity_and_calendars"),
        ("reference", "0002_seed_lang_son"),
    ]

    operations = [migrations.RunPython(load, unload)]
