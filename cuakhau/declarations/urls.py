app_name = "declarations"
urlpatterns: list = []
