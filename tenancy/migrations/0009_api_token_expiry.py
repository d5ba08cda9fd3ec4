# Every API token expires (tenancy.models.ApiToken.expires_at). Tokens that exist when this
# runs get the default lifetime from now: integrations keep working and have 90 days to
# move to a new token, which the tokens page shows.

from datetime import timedelta

from django.db import migrations, models

import tenancy.models
from tenancy import clock

DEFAULT_LIFETIME = timedelta(days=90)


def expire_existing(apps, schema_editor):
    ApiToken = apps.get_model("tenancy", "ApiToken")
    ApiToken.objects.filter(expires_at=None).update(expires_at=clock.now() + DEFAULT_LIFETIME)


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0008_reminder_ledger"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(expire_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(
                default=tenancy.models.default_token_expiry,
                help_text="The token stops working then.",
            ),
        ),
    ]
