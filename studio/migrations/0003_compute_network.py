from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("studio", "0002_datastores_models"),
    ]

    operations = [
        migrations.AddField(
            model_name="compute",
            name="network",
            field=models.CharField(
                choices=[("bridge", "bridge"), ("none", "none")],
                default="bridge",
                help_text="network of step containers: bridge, or none (no network at all)",
                max_length=16,
            ),
        ),
    ]
