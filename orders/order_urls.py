"""URLs of orders and reservations: the orders list, a customer's orders and reservations, one order."""

from django.urls import path

from orders import order_views as views

_CUSTOMER = "customers/<str:customer_id>/"
_ORDER = _CUSTOMER + "orders/<str:order_id>/"

urlpatterns = [
    path("orders/", views.order_list, name="orders"),
    path(_CUSTOMER + "orders/", views.customer_orders, name="customer-orders"),
    path(_CUSTOMER + "orders/refresh/", views.customer_orders_refresh, name="customer-orders-refresh"),
    path(_ORDER, views.order_page, name="order"),
    path(_ORDER + "status/", views.order_status, name="order-status"),
    path(_ORDER + "provisioning/", views.order_provisioning, name="order-provisioning"),
    path(_ORDER + "refresh/", views.order_refresh, name="order-refresh"),
    path(_CUSTOMER + "reservations/", views.customer_reservations, name="customer-reservations"),
    path(
        _CUSTOMER + "reservations/refresh/",
        views.customer_reservations_refresh,
        name="customer-reservations-refresh",
    ),
]
