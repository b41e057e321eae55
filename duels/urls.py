from django.urls import path

from duels import views

urlpatterns = [
    path("impact-des-modeles/", views.model_impacts, name="model_impacts"),
]
