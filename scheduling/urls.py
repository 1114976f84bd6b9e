from django.urls import path

from scheduling.views import appointments, booking, consultation, day, public, waiting_list

app_name = "scheduling"

urlpatterns: list = [
    # booking
    # appointments
    # day
    # consultation
    # waiting list
    # public (patients' signed links)
]
