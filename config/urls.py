from django.contrib import admin
from django.urls import include, path

from config.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("analyse/", include("workshop.analytics_urls")),
    path("", include("duels.urls")),
    path("", include("workshop.urls")),
]
