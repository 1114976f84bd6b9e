from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from clinic import views

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

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("clinics/", include(clinic_patterns)),
    path("patients/", include("patients.urls")),
    path("scheduling/", include("scheduling.urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
]

handler403 = "clinic.views.permission_denied"
handler404 = "clinic.views.page_not_found"
handler500 = "clinic.views.server_error"

if settings.DEBUG:
    urlpatterns += [path("__errors__/<int:code>/", views.error_preview, name="error-preview")]
