from django_fsm import FSMFieldMixin, FSMModelMixin


class ProtectedFSMModelMixin(FSMModelMixin):
    """FSMModelMixin that lets `full_clean()` run on models with protected state fields.

    `clean_fields()` re-assigns every field, which a protected FSMField refuses; the state
    only ever changes through transitions, so it is skipped there."""

    def clean_fields(self, exclude=None):
        exclude = set(exclude or ())
        exclude.update(
            f.name
            for f in self._meta.concrete_fields
            if isinstance(f, FSMFieldMixin) and getattr(f, "protected", False)
        )
        super().clean_fields(exclude=exclude)
