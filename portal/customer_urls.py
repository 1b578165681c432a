"""URLs of the customer pages (list, search, customer page, refresh)."""

from django.urls import URLPattern, path

from portal import customer_views

urlpatterns: list[URLPattern] = [
    path("customers/", customer_views.customer_list, name="customers"),
    path("customers/<str:customer_id>/", customer_views.customer_page, name="customer"),
    path("customers/<str:customer_id>/refresh/", customer_views.customer_refresh, name="customer-refresh"),
]
