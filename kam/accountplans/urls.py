from django.urls import URLPattern, URLResolver

app_name = "accountplans"
urlpatterns: list[URLPattern | URLResolver] = []
