"""URLs of subscription registration and of notifications."""

from django.urls import path

from portal import registration_views as views

urlpatterns = [
    path(
        "customers/<str:customer_id>/subscriptions/<str:subscription_id>/register/",
        views.register_subscription,
        name="subscription-register",
    ),
    path("registrations/<int:pk>/", views.registration_status, name="registration-status"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.mark_notifications_read, name="notifications-read"),
]
