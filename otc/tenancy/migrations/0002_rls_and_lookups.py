from django.db import migrations

from otc.tenancy.rls import CreateApplicationRole, EnableRowLevelSecurity

# Memberships are hidden by row-level security until a tenant is chosen; the
# tenant switcher and sign-in need a user's own seats across tenants, and
# only those: this function runs as its owner and returns just that user's
# rows. The owner role must be exempt from RLS (superuser or BYPASSRLS).
USER_MEMBERSHIPS_FUNCTION = """
CREATE OR REPLACE FUNCTION otc_user_memberships(p_user_id bigint)
RETURNS TABLE (tenant_id bigint, tenant_name varchar, tenant_slug varchar, role varchar)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT t.id, t.name, t.slug, m.role
    FROM tenancy_membership m JOIN tenancy_tenant t ON t.id = m.tenant_id
    WHERE m.user_id = p_user_id AND m.is_active AND t.is_active
    ORDER BY t.name
$$;
REVOKE ALL ON FUNCTION otc_user_memberships(bigint) FROM PUBLIC;
"""


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0001_initial")]

    operations = [
        CreateApplicationRole(),
        EnableRowLevelSecurity("membership"),
        migrations.RunSQL(
            USER_MEMBERSHIPS_FUNCTION,
            reverse_sql="DROP FUNCTION IF EXISTS otc_user_memberships(bigint);",
        ),
    ]
