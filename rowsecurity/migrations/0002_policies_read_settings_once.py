# The policies read the session's settings once per query (scalar subqueries, evaluated
# as InitPlans) instead of once per row: the same rows pass, at a fraction of the cost on
# large tables (docs/performance.md, case 3).

import rowsecurity.operations
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("rowsecurity", "0001_row_security")]

    operations = [rowsecurity.operations.RefreshPolicies()]
