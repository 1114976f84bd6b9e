from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from clinic import views
from scheduling.views import public as scheduling_public

# The admin signs in through allauth, so lockout and the second factor apply there too.
admin.site.login = login_required(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "Clínica · administração"

clinic_patterns = (
    [
        path("", views.clinic_list, name="list"),
        path("<int:pk>/", views.clinic_detail, name="detail"),
    ],
    "clinic",
)

# Short, because patients receive these in SMS: /r/<signed token>/ (scheduling/links.py).
public_patterns = (
    [path("<str:token>/", scheduling_public.appointment_link, name="appointment-link")],
    "public",
)

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("favicon.ico", views.favicon),
    path("clinics/", include(clinic_patterns)),
    path("patients/", include("patients.urls")),
    path("scheduling/", include("scheduling.urls")),
    path("staff/", include("staff.urls")),
    path("beds/", include("beds.urls")),
    path("exams/", include("exams.urls")),
    path("triage/", include("triage.urls")),
    path("messages/", include("messaging.urls")),
    path("reports/", include("reports.urls")),
    path("r/", include(public_patterns)),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
]

handler400 = "clinic.views.bad_request"
handler403 = "clinic.views.permission_denied"
handler404 = "clinic.views.page_not_found"
handler500 = "clinic.views.server_error"

if settings.DEBUG:
    urlpatterns += [path("__errors__/<int:code>/", views.error_preview, name="error-preview")]
