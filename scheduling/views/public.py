"""The patient's pages, reached through the signed link of a reminder: no account, no login.

GET only shows the appointment with Confirm and Cancel buttons, so link scanners and previews
that fetch the link change nothing; the buttons POST (with the CSRF token of the page).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from scheduling.links import LinkRefused, link_open, link_use
from scheduling.models import AppointmentLink


def _refused(request: HttpRequest, refusal: LinkRefused) -> HttpResponse:
    context = {"title": refusal.title, "reason": refusal.reason}
    return render(request, "scheduling/public_refused.html", context, status=refusal.status)


@never_cache
@require_http_methods(["GET", "POST"])
def appointment_link(request: HttpRequest, token: str) -> HttpResponse:
    try:
        if request.method == "POST":
            action = request.POST.get("action", "")
            appointment = link_use(token=token, action=action)
            return render(request, "scheduling/public_done.html", {"appointment": appointment, "action": action})
        link = link_open(token)
    except LinkRefused as refusal:
        return _refused(request, refusal)
    return render(
        request,
        "scheduling/public_link.html",
        {"appointment": link.appointment, "token": token, "actions": AppointmentLink.Action},
    )
