"""Requests refused before any view reads them."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render


def _has_nul(data: QueryDict) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in data.lists())


class RefuseNulCharactersMiddleware:
    """A NUL character in a parameter or a form field is refused with a 400 page.

    No person types one, PostgreSQL cannot store or compare text holding one, and a search or filter
    that passed it on would end in a server error. Django's form fields already refuse it; this covers
    every parameter a view reads by itself, and every view still to come.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refused = _has_nul(request.GET) or (
            request.method == "POST"
            and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data")
            and _has_nul(request.POST)
        )
        if refused:
            return render(request, "errors/400.html", status=400)
        return self.get_response(request)
