from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language

from portal import views

admin.site.site_header = _("Reservations portal administration")

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("audit/", views.audit_log, name="audit"),
    path("healthz", views.healthz, name="healthz"),
    path("partner-center/check/", views.partner_center_check, name="partner-center-check"),
    path("accounts/login/", views.PortalLoginView.as_view(), name="login"),
    path("accounts/microsoft/", views.microsoft_sign_in, name="microsoft-sign-in"),
    path("accounts/microsoft/callback/", views.microsoft_callback, name="microsoft-callback"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Public: the login page offers the language too.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("", include("portal.customer_urls")),
    path("", include("portal.registration_urls")),
    path("", include("catalog.urls")),
    path("", include("orders.purchase_urls")),
    path("", include("orders.order_urls")),
    path("", include("billing.urls")),
    path("admin/", admin.site.urls),
]
