"""Reference taxonomies incidents are classified with: MITRE ATLAS, OWASP Top 10 for LLM Applications 2025 and
NIST CSF 2.0. Loaded by migrations from the data files under `incidents/data/`; ATLAS is refreshed from the
official ATLAS.yaml by `manage.py import_atlas`. Reference data, not records: no history."""

from django.db import models


class AtlasTactic(models.Model):
    id = models.CharField(primary_key=True, max_length=20)  # AML.TA0000
    name = models.CharField(max_length=200)
    order = models.PositiveSmallIntegerField(default=0, help_text="Position in the ATLAS matrix.")

    class Meta:
        ordering = ["order", "id"]
        verbose_name = "ATLAS tactic"

    def __str__(self):
        return f"{self.id} {self.name}"


class AtlasTechnique(models.Model):
    id = models.CharField(primary_key=True, max_length=20)  # AML.T0051 or AML.T0051.000
    name = models.CharField(max_length=200)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="subtechniques")
    tactics = models.ManyToManyField(AtlasTactic, blank=True, related_name="techniques")
    maturity = models.CharField(max_length=20, blank=True)
    retired = models.BooleanField(default=False, help_text="No longer in the current ATLAS release.")

    class Meta:
        ordering = ["id"]
        verbose_name = "ATLAS technique"

    def __str__(self):
        return f"{self.id} {self.name}"


class OwaspRisk(models.Model):
    id = models.CharField(primary_key=True, max_length=20)  # LLM01:2025
    name = models.CharField(max_length=200)
    edition = models.CharField(max_length=10)

    class Meta:
        ordering = ["id"]
        verbose_name = "OWASP LLM risk"

    def __str__(self):
        return f"{self.id} {self.name}"


class CsfFunction(models.Model):
    id = models.CharField(primary_key=True, max_length=4)  # GV, ID, PR, DE, RS, RC
    name = models.CharField(max_length=50)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order"]
        verbose_name = "CSF 2.0 function"

    def __str__(self):
        return f"{self.id} {self.name}"


class CsfCategory(models.Model):
    id = models.CharField(primary_key=True, max_length=10)  # RS.MA
    name = models.CharField(max_length=200)
    function = models.ForeignKey(CsfFunction, on_delete=models.PROTECT, related_name="categories")

    class Meta:
        ordering = ["id"]
        verbose_name = "CSF 2.0 category"
        verbose_name_plural = "CSF 2.0 categories"

    def __str__(self):
        return f"{self.id} {self.name}"
