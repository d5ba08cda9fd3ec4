"""The cutover steps pages. Included under "o/<slug:org_slug>/"."""

from django.urls import path

from . import views as v

urlpatterns = [
    path(
        "migrations/<uuid:migration_uuid>/cutover/steps/",
        v.StepList.as_view(),
        name="cutover-steps",
    ),
    path("cutover-steps/<int:pk>/done/", v.StepDone.as_view(), name="cutover-step-done"),
    path("cutover-steps/<int:pk>/skip/", v.StepSkip.as_view(), name="cutover-step-skip"),
]
