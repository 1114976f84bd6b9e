from django.urls import path

from messaging import views

app_name = "messaging"

urlpatterns = [
    path("", views.outbox, name="outbox"),
    path("<int:pk>/", views.message_detail, name="detail"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/bell/", views.notification_bell, name="notification-bell"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications-read-all"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification-open"),
]
