"""URLs of subscription registration and of notifications."""


urlpatterns: list = []
