"""URLs of the customer pages (list, search, customer page, refresh)."""


urlpatterns: list = []
