"""Models of the studio app: API tokens, computes and the versioned asset registry."""

from studio.models.assets import Component, DataAsset, Environment
from studio.models.compute import Compute
from studio.models.tokens import ApiToken

__all__ = ["ApiToken", "Compute", "Component", "DataAsset", "Environment"]
