"""The rollback page of a migration, under /o/<slug>/."""

from django.urls import path

from . import views as v

urlpatterns = [
    path("migrations/<uuid:migration_uuid>/rollback/", v.RollbackPage.as_view(),
         name="cutover-rollback"),
    path("migrations/<uuid:migration_uuid>/rollback/default/", v.DefaultPlanAction.as_view(),
         name="cutover-rollback-default"),
    path("migrations/<uuid:migration_uuid>/rollback/add/", v.AddStepAction.as_view(),
         name="cutover-rollback-add"),
    path("migrations/<uuid:migration_uuid>/rollback/step/", v.StepAction.as_view(),
         name="cutover-rollback-step"),
]  # fmt: skip
