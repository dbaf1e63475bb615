"""Choices shared by several apps. Stored values are stable lower_snake strings."""

from django.db import models


class Severity(models.TextChoices):
    P0 = "p0", "P0 (critical)"
    P1 = "p1", "P1 (high)"
    P2 = "p2", "P2 (medium)"
    P3 = "p3", "P3 (low)"
