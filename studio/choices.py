"""Status and kind constants shared by the studio app."""

from __future__ import annotations

from django.db import models


class ComputeKind(models.TextChoices):
    """Where a compute runs steps."""

    LOCAL = "local", "Local processes"
    DOCKER = "docker", "Docker engine"


class ComputeState(models.TextChoices):
    """The health of a compute as last checked."""

    ONLINE = "online", "Online"
    OFFLINE = "offline", "Offline"
    DRAINING = "draining", "Draining"
    UNKNOWN = "unknown", "Not checked yet"


SCHEDULABLE_COMPUTE_STATES = (ComputeState.ONLINE,)


class DatastoreType(models.TextChoices):
    """The Azure ML datastore types Studio reads; each is a server folder here."""

    AZURE_BLOB = "azure_blob", "Azure Blob"
    AZURE_FILE = "azure_file", "Azure Files"
    AZURE_DATA_LAKE_GEN1 = "azure_data_lake_gen1", "Azure Data Lake Gen1"
    AZURE_DATA_LAKE_GEN2 = "azure_data_lake_gen2", "Azure Data Lake Gen2"


class ModelType(models.TextChoices):
    """The Azure ML model asset types Studio stores."""

    CUSTOM_MODEL = "custom_model", "Custom model"
    MLFLOW_MODEL = "mlflow_model", "MLflow model"
