from django.urls import path, re_path

from cuakhau.queueing import views

PASSAGE = r"^queue/(?P<passage>[A-Za-z0-9-]{1,16})/(?P<direction>export|import)/"
TRIP = r"^trips/(?P<code>[A-Za-z0-9]{1,12})/"

app_name = "queueing"
urlpatterns = [
    path("yards/<str:code>/board/", views.board, name="board"),
    path("queue/", views.index, name="index"),
    path("calendar/", views.calendar, name="calendar"),
    re_path(r"^queue/(?P<passage>[A-Za-z0-9-]{1,16})/calls/$", views.call_record, name="calls"),
    re_path(PASSAGE + "$", views.passage_queue, name="passage"),
    re_path(
        PASSAGE + r"(?P<action>dispatch|pause|resume|plan|hour|quota|calendar)/$",
        views.passage_control,
        name="control",
    ),
    re_path(
        PASSAGE + r"calendar/(?P<entry_id>[0-9]{1,18})/delete/$",
        views.calendar_delete,
        name="calendar_delete",
    ),
    re_path(
        PASSAGE + r"trips/(?P<code>[A-Za-z0-9]{1,12})/(?P<action>call|prioritise|no-show|extend)/$",
        views.trip_action,
        name="trip_action",
    ),
    re_path(TRIP + r"slot/$", views.slot_book, name="slot_book"),
    re_path(TRIP + r"slot/cancel/$", views.slot_cancel, name="slot_cancel"),
    re_path(TRIP + r"extend/$", views.call_extend, name="extend"),
    path("d/<str:token>/queue/", views.driver_place, name="driver_place"),
]
