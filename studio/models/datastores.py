"""Datastores: named server folders that `azureml://datastores/<name>/paths/...` points into.

Azure ML datastores are cloud storage accounts; in Studio each one is a folder on the server,
by default `STUDIO_HOME/datastores/<name>/`. Unlike other assets a datastore is not versioned:
registering a definition under a taken name updates it in place, as `az ml datastore create` does.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils import timezone

from studio.choices import DatastoreType

DEFAULT_DATASTORE = "workspaceblobstore"
ARTIFACT_DATASTORE = "workspaceartifactstore"
BUILT_IN_DATASTORES = (DEFAULT_DATASTORE, ARTIFACT_DATASTORE)


def datastores_root() -> Path:
    """The folder holding the datastores that have no folder of their own (read at call time)."""
    return Path(settings.STUDIO_HOME) / "datastores"


class Datastore(models.Model):
    """A named folder on the server that jobs read from and write to by `azureml://` URI."""

    name = models.CharField(max_length=255, unique=True)
    datastore_type = models.CharField(
        max_length=32, choices=DatastoreType.choices, default=DatastoreType.AZURE_BLOB
    )
    description = models.TextField(blank=True)
    tags = models.JSONField(default=dict, blank=True)
    server_folder = models.CharField(
        max_length=1000,
        blank=True,
        help_text="An existing server folder under STUDIO_DATA_ROOTS; empty: STUDIO_HOME/datastores/<name>",
    )
    spec = models.JSONField(default=dict, help_text="The definition as registered, without credentials")
    warnings = models.JSONField(default=list, blank=True, help_text="Fields that have no effect here")
    built_in = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def reference(self) -> str:
        """How YAML refers to this datastore."""
        return f"azureml:{self.name}"

    @property
    def uri(self) -> str:
        """The `azureml://` URI of the datastore's top folder."""
        return f"azureml://datastores/{self.name}/paths/"

    @property
    def is_default(self) -> bool:
        """Whether this is the workspace's default datastore."""
        return self.name == DEFAULT_DATASTORE

    @property
    def uses_own_folder(self) -> bool:
        """Whether the files live in STUDIO_HOME/datastores/<name>/ (no `server_folder` given)."""
        return not self.server_folder

    def folder(self) -> Path:
        """Where the datastore's files are on this server (not created here)."""
        if self.server_folder:
            return Path(self.server_folder)
        return datastores_root() / self.name
