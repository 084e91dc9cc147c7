from django.db import migrations

from cuakhau.fees import seed


def load(apps, schema_editor):
    seed.load(apps)


def unload(apps, schema_editor):
    apps.get_model("fees", "FeeSchedule").objects.filter(code=seed.SCHEDULE["code"]).delete()
    apps.get_model("fees", "BankAccount").objects.filter(code=seed.BANK["code"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("fees", "0001_fee_schedules_invoices_receipts"),
        ("reference", "0002_seed_lang_son"),
    ]

    operations = [migrations.RunPython(load, unload)]
