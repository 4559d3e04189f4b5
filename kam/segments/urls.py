from django.urls import URLPattern, URLResolver

app_name = "segments"
urlpatterns: list[URLPattern | URLResolver] = []
