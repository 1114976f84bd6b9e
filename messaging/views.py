"""Staff pages of the outbox: every message the system sends, and what became of it."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from clinic.http import AuthenticatedRequest
from messaging import selectors
from messaging.forms import OutboxFilterForm


@login_required
@permission_required("messaging.view_message", raise_exception=True)
def outbox(request: AuthenticatedRequest) -> HttpResponse:
    form = OutboxFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    messages = selectors.outbox_for_user(
        request.user, channel=filters.get("channel", ""), status=filters.get("status", "")
    )
    page = Paginator(messages, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query_string": query.urlencode()}
    template = "messaging/outbox.html#results" if request.htmx else "messaging/outbox.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@login_required
@permission_required("messaging.view_message", raise_exception=True)
def message_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    message = selectors.message_for_user(request.user, pk)
    return render(request, "messaging/message_detail.html", {"message": message, "history": message.history.all()})
