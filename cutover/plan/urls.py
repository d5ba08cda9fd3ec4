"""The cutover plan page, under /o/<slug>/."""

from django.urls import path

from . import views as v

urlpatterns = [
    path("migrations/<uuid:migration_uuid>/cutover/plan/", v.PlanPage.as_view(),
         name="cutover-plan"),
    path("migrations/<uuid:migration_uuid>/cutover/plan/save/", v.SavePlan.as_view(),
         name="cutover-plan-save"),
    path("migrations/<uuid:migration_uuid>/cutover/plan/waves/", v.AddWave.as_view(),
         name="cutover-plan-add-wave"),
    path("migrations/<uuid:migration_uuid>/cutover/plan/forwarding/",
         v.RecordForwarding.as_view(), name="cutover-plan-forwarding"),
]  # fmt: skip
