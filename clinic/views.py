from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from clinic import access, selectors
from clinic.http import AuthenticatedRequest
from clinic.navigation import menu_for
from staff.roles import ROLE_LABELS


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    roles = [str(ROLE_LABELS.get(group.name, group.name)) for group in request.user.groups.all()]
    clinics = [clinic.code for clinic in access.clinics_for_user(request.user)[:30]]
    return render(request, "home.html", {"entries": menu_for(request.user), "roles": roles, "clinics": clinics})


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """For load balancers and docker-compose: answers only when the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@login_required
@permission_required("clinic.view_clinic", raise_exception=True)
def clinic_list(request: AuthenticatedRequest) -> HttpResponse:
    page = Paginator(selectors.clinic_list(request.user), settings.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "clinic/clinic_list.html", {"page": page})


@login_required
def clinic_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    clinic = selectors.clinic_for_user(request.user, pk)
    return render(request, "clinic/clinic_detail.html", {"clinic": clinic})


@require_GET
@cache_control(public=True, max_age=24 * 60 * 60)
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on every site: send them to the static icon. Temporary, and
    cached for a day only, because the static address changes with the file's content in production."""
    return HttpResponseRedirect(static("favicon.ico"))


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: whatever failed may be what they need.
    return HttpResponse(loader.get_template("errors/500.html").render(), status=500)


@login_required
def error_preview(request: AuthenticatedRequest, code: int) -> HttpResponse:
    """Development only: see the error pages in the site's look."""
    if code not in (403, 404, 500):
        raise Http404
    return render(request, f"errors/{code}.html", status=code)
