from django.urls import path

from workshop import views

urlpatterns = [
    path("", views.home, name="home"),
]
