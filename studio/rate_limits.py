"""Rate limits counted in fixed windows, in the database so that every process shares them.

`take` spends one of a bucket's `limit` in the current window with a single conditional
`UPDATE … SET count = count + 1 WHERE count < limit`: the database serializes writers on the row
(SQLite locks the whole database, PostgreSQL re-checks the condition after the row lock), so
concurrent callers never get more than `limit` between them. The first call of a window inserts
its row; a caller that loses that race updates the row the winner made.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from studio.models import RateWindow


@dataclass(frozen=True)
class Taken:
    """The answer of `take`: `wait` is 0 when one was taken, else the seconds until the next window."""

    bucket: str
    started_at: datetime
    wait: int = 0

    @property
    def allowed(self) -> bool:
        return self.wait == 0


def window_start(now: datetime, seconds: int) -> datetime:
    """The start of the window of `seconds` holding `now` (windows are aligned on the epoch)."""
    epoch = now.timestamp()
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=now.tzinfo)


def take(bucket: str, limit: int, seconds: int) -> Taken:
    """Spend one of `bucket`'s `limit` in the current window of `seconds`, or say how long to wait."""
    now = timezone.now()
    start = window_start(now, seconds)
    end = start + timedelta(seconds=seconds)
    rows = RateWindow.objects.filter(bucket=bucket, started_at=start)
    for _ in range(3):
        if rows.filter(count__lt=limit).update(count=F("count") + 1):
            return Taken(bucket, start)
        current = rows.values_list("count", flat=True).first()
        if current is not None and current >= limit:
            break  # the window's allowance is spent
        if current is not None:
            continue  # its row appeared since the update: count on it
        try:
            with transaction.atomic():
                RateWindow.objects.create(bucket=bucket, started_at=start, ends_at=end, count=1)
        except IntegrityError:
            continue  # another caller made the row first: count on it
        RateWindow.objects.filter(ends_at__lt=now).delete()  # windows that ended, of any bucket
        return Taken(bucket, start)
    return Taken(bucket, start, wait=max(1, math.ceil((end - now).total_seconds())))


def give_back(taken: Taken) -> None:
    """Return what `take` spent (the attempt turned out not to count)."""
    if taken.allowed:
        RateWindow.objects.filter(bucket=taken.bucket, started_at=taken.started_at, count__gt=0).update(
            count=F("count") - 1
        )
