"""Keys issued before personal tokens (rest_framework.authtoken) keep working: each is
copied as a personal token, hashed, and the plain key is deleted."""

import hashlib

from django.db import migrations


def copy_keys(apps, schema_editor):
    Token = apps.get_model("authtoken", "Token")
    ApiToken = apps.get_model("tenancy", "ApiToken")
    for old in Token.objects.all():
        ApiToken.objects.create(
            user_id=old.user_id,
            name="Token from before personal tokens",
            prefix=old.key[:6],
            key_hash=hashlib.sha256(old.key.encode("ascii")).hexdigest(),
        )
    Token.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0004_api_tokens"),
        ("authtoken", "0004_alter_tokenproxy_options"),
    ]

    operations = [migrations.RunPython(copy_keys, migrations.RunPython.noop)]
