"""Staff pages of the outbox (every message the system sends, and what became of it), and each user's
notifications: the bell in the top bar and the list it opens."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from clinic.http import AuthenticatedRequest, safe_next
from messaging import selectors, services
from messaging.forms import OutboxFilterForm
from messaging.models import Audience
from messaging.purposes import purpose_label, purpose_labels


@login_required
@permission_required("messaging.view_message", raise_exception=True)
def outbox(request: AuthenticatedRequest) -> HttpResponse:
    form = OutboxFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    outgoing = selectors.outbox_for_user(
        request.user,
        channel=filters.get("channel", ""),
        status=filters.get("status", ""),
        audience=filters.get("audience") or Audience.PATIENT,
    )
    page = Paginator(outgoing, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    labels = purpose_labels()
    for message in page:
        message.purpose_label = labels.get(message.purpose, message.purpose)  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query_string": query.urlencode()}
    template = "messaging/outbox.html#results" if request.htmx else "messaging/outbox.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@login_required
@permission_required("messaging.view_message", raise_exception=True)
def message_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    message = selectors.message_for_user(request.user, pk)
    context = {"message": message, "purpose": purpose_label(message.purpose), "history": message.history.all()}
    return render(request, "messaging/message_detail.html", context)


# Notifications: the bell in the top bar and the list it opens ---------------------------------------

# How often an open page asks for the bell's count, in seconds.
BELL_REFRESH_SECONDS = 30


def notification_bell(request: AuthenticatedRequest) -> HttpResponse:
    """The bell with the number of unread notes; every page of a signed-in user polls it.

    A poll that already shows the current count (``?shown=``) gets 204 and htmx leaves the bell
    alone, so the live region speaks only when the count changes. Once the session has ended, a
    poll gets 204 too, rather than a redirect that htmx would follow into the top bar.
    """
    if not request.user.is_authenticated:
        return HttpResponse(status=204)
    unread = selectors.unread_count(request.user)
    if request.GET.get("shown") == str(unread):
        return HttpResponse(status=204)
    context = {"unread": unread, "refresh_seconds": BELL_REFRESH_SECONDS}
    return render(request, "messaging/notifications_bell.html", context)


@login_required
def notifications(request: AuthenticatedRequest) -> HttpResponse:
    """The user's latest notes, the unread ones first (each group newest first)."""
    latest = selectors.notifications_for(request.user)
    ordered = sorted(latest, key=lambda note: note.read_at is not None)
    unread = sum(1 for note in latest if note.read_at is None)
    return render(request, "messaging/notifications.html", {"notifications": ordered, "unread": unread})


@login_required
@require_POST
def notification_open(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Mark the note read and go where it points (only ever one of the user's own)."""
    note = selectors.notification_for_user(request.user, pk)
    note = services.notification_open(notification=note, by=request.user)
    return redirect(safe_next(request, note.url) or reverse("messaging:notifications"))


@login_required
@require_POST
def notifications_read_all(request: AuthenticatedRequest) -> HttpResponse:
    count = services.notifications_read_all(recipient=request.user)
    messages.success(
        request,
        ngettext("%(count)d notification marked read.", "%(count)d notifications marked read.", count)
        % {"count": count},
    )
    return redirect("messaging:notifications")
