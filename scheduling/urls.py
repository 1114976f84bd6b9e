from django.urls import path

from scheduling.views import appointments, booking, consultation, day, waiting_list

app_name = "scheduling"

urlpatterns: list = [
    # booking
    path("book/", booking.book, name="book"),
    path("book/confirm/", booking.book_confirm, name="book-confirm"),
    path("book/patients/", booking.book_patients, name="book-patients"),
    # appointments
    path("appointments/<int:pk>/", appointments.appointment_detail, name="appointment"),
    path("appointments/<int:pk>/reschedule/", appointments.appointment_reschedule_view, name="appointment-reschedule"),
    path("appointments/<int:pk>/step/<slug:action>/", appointments.appointment_step, name="appointment-step"),
    # day
    path("agenda/", day.agenda, name="agenda"),
    path("day/", day.clinic_day, name="clinic-day"),
    path("board/", day.board, name="board"),
    # consultation
    path("appointments/<int:pk>/consultation/", consultation.consultation_page, name="consultation"),
    path("appointments/<int:pk>/consultation/start/", consultation.consultation_start, name="consultation-start"),
    path("appointments/<int:pk>/consultation/save/", consultation.consultation_save, name="consultation-save"),
    path("appointments/<int:pk>/consultation/finish/", consultation.consultation_finish, name="consultation-finish"),
    path("appointments/<int:pk>/consultation/diagnoses/", consultation.diagnosis_add, name="diagnosis-add"),
    path(
        "appointments/<int:pk>/consultation/diagnoses/<int:item>/remove/",
        consultation.diagnosis_remove,
        name="diagnosis-remove",
    ),
    path("patients/<int:pk>/panels/appointments/", consultation.panel_appointments, name="panel-appointments"),
    # waiting list
    path("waiting-list/", waiting_list.waiting_list, name="waiting-list"),
    path("waiting-list/add/", waiting_list.waiting_list_add, name="waiting-list-add"),
    path("waiting-list/<int:pk>/remove/", waiting_list.waiting_list_remove, name="waiting-list-remove"),
    # public (patients' signed links)
]
