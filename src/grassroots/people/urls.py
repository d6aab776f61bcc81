from django.urls import path

from grassroots.people import screens, views

urlpatterns = [
    path("people/", views.person_search, name="person-search"),
    path("people/new/", screens.person_new, name="person-new"),
    path("people/<int:pk>/", views.person_detail, name="person-detail"),
    path("people/<int:pk>/reveal/", views.person_reveal_view, name="person-reveal"),
    path("people/<int:pk>/edit/", screens.person_edit, name="person-edit"),
    path("people/<int:pk>/move-in/", screens.person_move_in, name="person-move-in"),
    path("people/<int:pk>/move-out/", screens.person_move_out, name="person-move-out"),
    path("people/<int:pk>/tags/", screens.person_tags, name="person-tags"),
    path("people/<int:pk>/tags/<int:tag_id>/remove/", screens.person_untag, name="person-untag"),
    path("people/<int:pk>/relation/", screens.person_relation, name="person-relation"),
    path("people/households/<int:pk>/head/", screens.household_head, name="household-head"),
    path("people/households/<int:pk>/split/", screens.household_split, name="household-split"),
    path("people/households/<int:pk>/merge/", screens.household_merge, name="household-merge"),
    path("people/buildings/<int:pk>/head/", screens.building_head, name="building-head"),
]
