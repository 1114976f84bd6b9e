"""When a step may say it happened: now, or earlier (recorded afterwards), never later.

Every service that takes the time of a step (an admission, a collection, an arrival) checks it
here, with the same tolerance for a workstation clock a little ahead of the server's.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

CLOCK_TOLERANCE = timedelta(minutes=5)


def require_past(at: datetime, field: str = "at") -> None:
    """Refuse ``at`` (as an error on ``field``) if it is in the future beyond the clock tolerance."""
    if at > timezone.now() + CLOCK_TOLERANCE:
        raise ValidationError({field: _("A time in the future cannot be recorded.")})
