from django.db import migrations

from otc.tenancy.rls import EnableRowLevelSecurity

# Posted rows are history. Postings, their lines and applications are never
# changed or deleted (a reversal is a new row); on open items only the
# running open amount and status move. Triggers hold that for every role.
INTEGRITY_SQL = """
CREATE TRIGGER ledger_posting_append_only BEFORE UPDATE OR DELETE ON ledger_posting
    FOR EACH ROW EXECUTE FUNCTION otc_refuse_change();
CREATE TRIGGER ledger_postingline_append_only BEFORE UPDATE OR DELETE ON ledger_postingline
    FOR EACH ROW EXECUTE FUNCTION otc_refuse_change();
CREATE TRIGGER ledger_application_append_only BEFORE UPDATE OR DELETE ON ledger_application
    FOR EACH ROW EXECUTE FUNCTION otc_refuse_change();

CREATE OR REPLACE FUNCTION ledger_openitem_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'ledger_openitem rows are never deleted' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (NEW.tenant_id, NEW.customer_id, NEW.kind, NEW.number, NEW.currency, NEW.amount,
        NEW.fx_rate, NEW.base_amount, NEW.document_date, NEW.due_date, NEW.reverses_id,
        NEW.recorded_at)
       IS DISTINCT FROM
       (OLD.tenant_id, OLD.customer_id, OLD.kind, OLD.number, OLD.currency, OLD.amount,
        OLD.fx_rate, OLD.base_amount, OLD.document_date, OLD.due_date, OLD.reverses_id,
        OLD.recorded_at) THEN
        RAISE EXCEPTION 'posted ledger item %: only open amounts and status may change', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER ledger_openitem_guard BEFORE UPDATE OR DELETE ON ledger_openitem
    FOR EACH ROW EXECUTE FUNCTION ledger_openitem_guard();

-- Every posting balances in the base currency, checked at commit so the
-- lines of one posting can be inserted one by one.
CREATE OR REPLACE FUNCTION ledger_posting_balances() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    imbalance numeric;
BEGIN
    SELECT COALESCE(SUM(base_amount), 0) INTO imbalance
        FROM ledger_postingline WHERE posting_id = NEW.posting_id;
    IF imbalance <> 0 THEN
        RAISE EXCEPTION 'posting % does not balance: % in base currency', NEW.posting_id, imbalance
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER ledger_posting_balances AFTER INSERT ON ledger_postingline
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_posting_balances();
"""

REVERSE_SQL = """
DROP TRIGGER IF EXISTS ledger_posting_balances ON ledger_postingline;
DROP FUNCTION IF EXISTS ledger_posting_balances();
DROP TRIGGER IF EXISTS ledger_openitem_guard ON ledger_openitem;
DROP FUNCTION IF EXISTS ledger_openitem_guard();
DROP TRIGGER IF EXISTS ledger_application_append_only ON ledger_application;
DROP TRIGGER IF EXISTS ledger_postingline_append_only ON ledger_postingline;
DROP TRIGGER IF EXISTS ledger_posting_append_only ON ledger_posting;
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial"), ("audit", "0002_rls_append_only")]

    operations = [
        EnableRowLevelSecurity("openitem"),
        EnableRowLevelSecurity("application"),
        EnableRowLevelSecurity("posting"),
        EnableRowLevelSecurity("postingline"),
        migrations.RunSQL(INTEGRITY_SQL, reverse_sql=REVERSE_SQL),
    ]
