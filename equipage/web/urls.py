from django.urls import path

from equipage.web.views import auth, home, public

urlpatterns = [
    path("", public.index, name="index"),
    path("o/<slug:slug>/login", auth.login, name="login"),
    path("o/<slug:slug>/logout", auth.logout, name="logout"),
    path("o/<slug:slug>/password/change/", auth.change_password, name="password_change"),
    path("o/<slug:slug>/password/set/<str:token>/", auth.set_password, name="password_set"),
    path("o/<slug:slug>/password/reset/", auth.reset_request, name="password_reset"),
    path("o/<slug:slug>/", home.home, name="home"),
]
