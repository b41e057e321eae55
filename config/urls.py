from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("analyse/", include("workshop.analytics_urls")),
    path("", include("duels.urls")),
    path("", include("workshop.urls")),
]
