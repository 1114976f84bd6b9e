"""What scheduling tells the apps above it, without importing them."""

from django.dispatch import Signal

# Sent (in the changing transaction) after an appointment moved from one status to another;
# receivers get ``appointment``, ``from_status``, ``to_status`` and ``at``. Triage takes a walk-in
# out of its queue when the doctor starts (or the urgent appointment ends otherwise).
appointment_transitioned = Signal()
