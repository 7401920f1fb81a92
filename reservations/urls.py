from django.urls import path

from . import views

app_name = "reservations"

urlpatterns = [
    path("reservations/", views.BookingsHomeView.as_view(), name="bookings"),
    path(
        "reservations/periode/<int:period_id>/",
        views.FamilyCalendarView.as_view(),
        name="family-calendar",
    ),
    path(
        "reservations/enfant/<int:child_id>/periode/<int:period_id>/",
        views.CalendarView.as_view(),
        name="calendar",
    ),
    path(
        "reservations/enfant/<int:child_id>/periode/<int:period_id>/semaine-type/",
        views.TypicalWeekView.as_view(),
        name="typical-week",
    ),
    path(
        "reservations/proposition/<int:entry_id>/",
        views.OfferAnswerView.as_view(),
        name="offer-answer",
    ),
    path(
        "reservations/liste-attente/<int:entry_id>/retrait/",
        views.LeaveWaitingListView.as_view(),
        name="leave-waiting-list",
    ),
    path(
        "reservations/absence/<int:booking_id>/",
        views.JustifyAbsenceView.as_view(),
        name="justify-absence",
    ),
    path("reservations/historique/", views.HistoryView.as_view(), name="history"),
    path("reservations/rappels/", views.ReminderSettingsView.as_view(), name="reminders"),
]
