"""The hybrid logical clock: wall time in milliseconds, a counter, the device.

A clock reads "000001764671234567.000003.<device>"; strings compare in time order, and no two
devices write the same one. A device's clock never runs backwards, even when its wall clock
does, and never falls behind a clock it has seen, so an edit made after seeing another always
sorts after it, however skewed the two machines' clocks are.
"""

from __future__ import annotations

import time


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


NOW = wall_ms  # tests skew a device's wall clock through this


def make(wall: int, count: int, device: str) -> str:
    return f"{wall:018d}.{count:06d}.{device}"


def parse(stamp: str) -> tuple[int, int, str]:
    wall, count, device = stamp.split(".", 2)
    return int(wall), int(count), device


class Clock:
    def __init__(self, device: str, last: str = ""):
        self.device = device
        self.wall, self.count = (parse(last)[:2] if last else (0, 0))

    def tick(self) -> str:
        now = NOW()
        if now > self.wall:
            self.wall, self.count = now, 0
        else:
            self.count += 1
            if self.count > 999_999:  # the counter's six digits are full: borrow a millisecond
                self.wall, self.count = self.wall + 1, 0
        return make(self.wall, self.count, self.device)

    def observe(self, stamp: str) -> None:
        wall, count, _ = parse(stamp)
        if (wall, count) > (self.wall, self.count):
            self.wall, self.count = wall, count

    @property
    def last(self) -> str:
        return make(self.wall, self.count, self.device)
