from django.urls import path

from billing import views

urlpatterns = [
    path("billing/", views.billing_home, name="billing"),
    path("billing/refresh/", views.billing_refresh, name="billing-refresh"),
    path("billing/invoices/<str:invoice_id>/", views.invoice_page, name="billing-invoice"),
    path("billing/invoices/<str:invoice_id>/lines.csv", views.invoice_lines_csv, name="billing-lines-csv"),
    path(
        "billing/invoices/<str:invoice_id>/reconciliation.csv",
        views.invoice_reconciliation_csv,
        name="billing-reconciliation-csv",
    ),
    path(
        "billing/invoices/<str:invoice_id>/statement.pdf", views.invoice_statement, name="billing-statement"
    ),
]
