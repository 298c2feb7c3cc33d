from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0003_tenant_seller_details"),
    ]

    operations = [
        migrations.AddField(
            model_name="membership",
            name="monthly_collection_target",
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=18, null=True),
        ),
        migrations.AddConstraint(
            model_name="membership",
            constraint=models.CheckConstraint(
                condition=models.Q(("monthly_collection_target__gte", 0)),
                name="membership_target_not_negative",
            ),
        ),
    ]
