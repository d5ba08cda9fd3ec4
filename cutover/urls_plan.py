"""The cutover plan page and the site network page, under /o/<slug>/."""

from django.urls import path

from . import views_plan as v

urlpatterns = [
    path("migrations/<uuid:migration_uuid>/cutover/plan/", v.PlanPage.as_view(),
         name="cutover-plan"),
    path("migrations/<uuid:migration_uuid>/cutover/plan/save/", v.SavePlan.as_view(),
         name="cutover-plan-save"),
    path("migrations/<uuid:migration_uuid>/cutover/plan/waves/", v.AddWave.as_view(),
         name="cutover-plan-add-wave"),
    path("migrations/<uuid:migration_uuid>/cutover/plan/forwarding/",
         v.RecordForwarding.as_view(), name="cutover-plan-forwarding"),
    path("sites/<int:pk>/network/", v.SiteNetworkPage.as_view(), name="site-network"),
    path("sites/<int:pk>/network/assessment/", v.SaveAssessment.as_view(),
         name="site-network-save"),
    path("sites/<int:pk>/network/import/", v.ImportReadiness.as_view(),
         name="site-network-import"),
    path("sites/<int:pk>/network/sign-off/", v.SignOff.as_view(), name="site-network-sign-off"),
]  # fmt: skip
