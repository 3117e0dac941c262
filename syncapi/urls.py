from django.urls import path

from syncapi import views
from syncapi.snapshots import views as snapshot_views

app_name = "syncapi"

urlpatterns = [
    path("sync/config/", views.ConfigView.as_view(), name="config"),
    path("sync/pull/<str:collection>/", views.PullView.as_view(), name="pull"),
    path("sync/snapshot/", snapshot_views.SnapshotsView.as_view(), name="snapshots"),
    path("sync/snapshot/<str:collection>/", snapshot_views.SnapshotView.as_view(), name="snapshot"),
    path(
        "sync/snapshot/<str:collection>/<str:digest>.json",
        snapshot_views.SnapshotPartView.as_view(),
        name="snapshot-part",
    ),
    path("sync/changed/", views.ChangedView.as_view(), name="changed"),
    path("sync/push/", views.PushView.as_view(), name="push"),
    path("auth/login/", views.LoginView.as_view(), name="login"),
    path("auth/logout/", views.LogoutView.as_view(), name="logout"),
    path("auth/me/", views.MeView.as_view(), name="me"),
]
