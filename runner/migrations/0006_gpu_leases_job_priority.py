import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("runner", "0005_environmentimage_heartbeat"),
    ]

    operations = [
        migrations.AddField(
            model_name="pipelinejob",
            name="priority",
            field=models.SmallIntegerField(default=0, help_text="Higher starts first; -100 to 100"),
        ),
        migrations.CreateModel(
            name="GpuLease",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "engine",
                    models.CharField(
                        help_text="An identity of the engine (gpu_leases.engine_keys)", max_length=300
                    ),
                ),
                ("device", models.CharField(max_length=100)),
                ("attempt", models.PositiveIntegerField()),
                ("taken_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "step",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="gpu_leases",
                        to="runner.steprun",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("engine", "device"), name="gpulease_engine_device_unique")
                ],
            },
        ),
    ]
