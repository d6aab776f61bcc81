from django.urls import path

from grassroots.places import views

urlpatterns = [
    path("grids/", views.grid_list, name="grid-list"),
    path("plan/", views.community_plan, name="community-plan"),
    path("grids/<int:pk>/", views.grid_detail, name="grid-detail"),
    path("buildings/<int:pk>/", views.building_detail, name="building-detail"),
    path("households/<int:pk>/", views.household_detail, name="household-detail"),
]
