from django.db import migrations

from otc.tenancy.rls import EnableRowLevelSecurity

# Belt and braces beside the REVOKE in otc.tenancy.rls: even a role that was
# granted UPDATE or DELETE by mistake cannot rewrite history.
APPEND_ONLY_TRIGGER = """
CREATE OR REPLACE FUNCTION otc_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_auditevent_append_only
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION otc_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial"), ("tenancy", "0002_rls_and_lookups")]

    operations = [
        EnableRowLevelSecurity("auditevent"),
        migrations.RunSQL(
            APPEND_ONLY_TRIGGER,
            reverse_sql="DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent;",
        ),
    ]
