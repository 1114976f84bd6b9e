"""What the registry tells the apps above it, without importing them."""

from django.dispatch import Signal

# Sent (in the updating transaction) when a patient's reminder channel, mobile phone or e-mail
# changes; receivers get ``patient``. Scheduling re-plans the reminders of upcoming appointments.
reminder_contact_changed = Signal()
