from django.urls import path

from workshop import views

urlpatterns = [
    path("", views.home, name="home"),
    path("j/<str:code>/", views.join, name="join"),
    path("presentateur/<str:secret>/", views.presenter, name="presenter"),
    path("invitation/<str:token>/", views.invitation, name="invitation"),
    path("ateliers/<int:pk>/animation/", views.control_panel, name="control_panel"),
    path("ateliers/<int:pk>/preparation/", views.preparation, name="preparation"),
    path("ateliers/<int:pk>/preparer/", views.prepare_answers, name="prepare_answers"),
    path(
        "ateliers/<int:pk>/duels/<int:round_pk>/reessayer/<str:side>/",
        views.retry_answer,
        name="retry_answer",
    ),
    path(
        "ateliers/<int:pk>/duels/<int:round_pk>/changer/",
        views.swap_answer,
        name="swap_answer",
    ),
]
