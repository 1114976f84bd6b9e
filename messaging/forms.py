from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from messaging.models import Audience, Channel, MessageStatus


class OutboxFilterForm(forms.Form):
    audience = forms.ChoiceField(
        label=_("Recipients"), required=False, choices=Audience.choices, initial=Audience.PATIENT
    )
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=[("", _("All")), *Channel.choices])
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All")), *MessageStatus.choices])
