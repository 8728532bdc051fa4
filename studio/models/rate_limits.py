"""Fixed-window counters shared by every process through the database (rate limits)."""

from __future__ import annotations

from django.db import models


class RateWindow(models.Model):
    """How many of a bucket's allowance were taken in one window (`studio.rate_limits`)."""

    bucket = models.CharField(max_length=120, help_text="what is limited, e.g. endpoint:12 or login-user:…")
    started_at = models.DateTimeField()
    ends_at = models.DateTimeField(db_index=True)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["bucket", "started_at"], name="one_rate_window_per_bucket_and_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.bucket} from {self.started_at:%Y-%m-%d %H:%M:%S}: {self.count}"
