"""The e-mails that told doctors of a released result named the patient and the exam in their subject
(a plain column) and body. They are staff messages now, kept apart from the patients' outbox, and
their subject, in the rows and their history, says only that a result awaits (the body is
encrypted, and was sent already)."""

from django.conf import settings
from django.db import migrations
from django.utils import translation
from django.utils.translation import gettext


def forward(apps, schema_editor):
    with translation.override(settings.LANGUAGE_CODE):
        subject = gettext("An exam result awaits you")
    # The history keeps each version of the subject too.
    for model in ("Message", "HistoricalMessage"):
        apps.get_model("messaging", model).objects.filter(
            dedupe_key__startswith="exam-result:", dedupe_key__endswith=":doctor-email"
        ).update(audience="staff", subject=subject)


class Migration(migrations.Migration):
    dependencies = [("exams", "0004_unitless_numbers"), ("messaging", "0004_message_audience")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
