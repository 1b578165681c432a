"""URLs of the catalog: the mirrors' page, browsing in a customer's context, SKU pages, inventory checks."""

from django.urls import path

from catalog import inventory_views, views

_IN_CONTEXT = "customers/<str:customer_id>/subscriptions/<str:subscription_id>/catalog/"

urlpatterns = [
    path("catalog/", views.catalog_home, name="catalog"),
    path("catalog/mirrors/<int:pk>/", views.mirror_status, name="catalog-mirror-status"),
    path("catalog/mirrors/<int:pk>/sync/", views.mirror_sync, name="catalog-mirror-sync"),
    path(_IN_CONTEXT, views.browse, name="catalog-browse"),
    path(_IN_CONTEXT + "<str:product_id>/<str:sku_id>/", views.sku_page, name="catalog-sku"),
    path(
        _IN_CONTEXT + "<str:product_id>/<str:sku_id>/inventory/",
        inventory_views.check_inventory,
        name="catalog-inventory",
    ),
]
