from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import mfa_return

admin.site.site_header = _("Gongguan administration")
admin.site.site_title = _("Gongguan")
admin.site.index_title = _("Street office administration")

api_v1 = [
    path("", include("communities.api_urls")),
    path("", include("escrow.api_urls")),
    path("", include("meetings.api_urls")),
    path("", include("assessments.api_urls")),
    path("", include("settlements.api_urls")),
    path("", include("street.api_urls")),
]

urlpatterns = [
    path("", include("communities.urls")),
    path("", include("portal.urls")),
    path("", include("escrow.urls")),
    path("", include("meetings.urls")),
    path("", include("assessments.urls")),
    path("", include("settlements.urls")),
    path("", include("street.urls")),
    # allauth's TOTP activation, remembering the page to return to (accounts.mfa_return).
    path("accounts/2fa/totp/activate/", mfa_return.activate_totp, name="mfa_activate_totp"),
    path("accounts/", include("allauth.urls")),
    path("notifications/", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script from a URL: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

# Error pages in the site's layout (the API keeps its one error shape): portal.error_pages.
handler400 = "portal.error_pages.bad_request"
handler403 = "portal.error_pages.permission_denied"
handler404 = "portal.error_pages.page_not_found"
handler500 = "portal.error_pages.server_error"
