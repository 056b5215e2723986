"""Model backends: the :class:`ModelAPI` protocol and its registry."""

from assay.models._api import (
    LoglikelihoodModel,
    ModelAPI,
    get_model_api,
    register_model_api,
    registered_model_apis,
)

__all__ = ["LoglikelihoodModel", "ModelAPI", "get_model_api", "register_model_api", "registered_model_apis"]
