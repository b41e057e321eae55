"""URLs of the analyst's pages; config/urls.py includes them under "analyse/"."""

from django.urls import path

from workshop import admin_exports, analytics_views  # noqa: F401 - registers the admin action

urlpatterns = [
    path("", analytics_views.analytics, name="analytics"),
    path(
        "telecharger/<str:table>.<str:fmt>",
        analytics_views.download,
        name="analytics_download",
    ),
    path("archives/", analytics_views.request_archive, name="analytics_request_archive"),
    path("archives/<str:export_id>.zip", analytics_views.archive, name="analytics_archive"),
    path("classement/", analytics_views.leaderboard_page, name="leaderboard"),
    path("classement/graphique.svg", analytics_views.leaderboard_chart, name="leaderboard_chart"),
]
