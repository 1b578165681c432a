"""URLs of purchase requests: the list, the approvers' queue, one request and its actions, and the SKU
page's "Add to purchase request"."""

from django.urls import path

from orders import purchase_views as views

_SKU = (
    "customers/<str:customer_id>/subscriptions/<str:subscription_id>/catalog/<str:product_id>/<str:sku_id>/"
)

urlpatterns = [
    path("purchases/", views.purchase_list, name="purchases"),
    path("purchases/approvals/", views.approval_queue, name="purchase-approvals"),
    path("purchases/<int:pk>/", views.purchase_page, name="purchase-request"),
    path("purchases/<int:pk>/lines/<int:line_id>/change/", views.change_line, name="purchase-change-line"),
    path("purchases/<int:pk>/lines/<int:line_id>/remove/", views.remove_line, name="purchase-remove-line"),
    path("purchases/<int:pk>/cart/", views.sync_cart, name="purchase-sync-cart"),
    path("purchases/<int:pk>/submit/", views.submit, name="purchase-submit"),
    path("purchases/<int:pk>/cancel/", views.cancel, name="purchase-cancel"),
    path("purchases/<int:pk>/rebuild/", views.rebuild, name="purchase-rebuild"),
    path("purchases/<int:pk>/approve/", views.approve, name="purchase-approve"),
    path("purchases/<int:pk>/reject/", views.reject, name="purchase-reject"),
    path(_SKU + "add/", views.add_line, name="purchase-add-line"),
]
