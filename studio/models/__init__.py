"""Models of the studio app: API tokens, computes, datastores and the versioned asset registry."""

from studio.models.assets import Component, DataAsset, Environment
from studio.models.audit import AuditEntry
from studio.models.compute import Compute
from studio.models.datastores import Datastore
from studio.models.model_assets import ModelAsset
from studio.models.rate_limits import RateWindow
from studio.models.tokens import ApiToken

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Compute",
    "Component",
    "DataAsset",
    "Datastore",
    "Environment",
    "ModelAsset",
    "RateWindow",
]
