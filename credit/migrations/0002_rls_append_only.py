from django.db import migrations

from otc.tenancy.rls import EnableRowLevelSecurity

# Limit history and the order outbox are history: never changed or deleted,
# even by a role granted more than it should have been (see otc.audit).
APPEND_ONLY_SQL = """
CREATE TRIGGER credit_creditlimitchange_append_only
    BEFORE UPDATE OR DELETE ON credit_creditlimitchange
    FOR EACH ROW EXECUTE FUNCTION otc_refuse_change();
CREATE TRIGGER credit_orderevent_append_only
    BEFORE UPDATE OR DELETE ON credit_orderevent
    FOR EACH ROW EXECUTE FUNCTION otc_refuse_change();
"""
DROP_SQL = """
DROP TRIGGER IF EXISTS credit_creditlimitchange_append_only ON credit_creditlimitchange;
DROP TRIGGER IF EXISTS credit_orderevent_append_only ON credit_orderevent;
"""


class Migration(migrations.Migration):
    dependencies = [("credit", "0001_initial"), ("audit", "0002_rls_append_only")]

    operations = [
        EnableRowLevelSecurity("creditpolicy"),
        EnableRowLevelSecurity("creditprofile"),
        EnableRowLevelSecurity("creditlimitchange"),
        EnableRowLevelSecurity("order"),
        EnableRowLevelSecurity("orderline"),
        EnableRowLevelSecurity("orderevent"),
        migrations.RunSQL(APPEND_ONLY_SQL, DROP_SQL),
    ]
