"""Model backends: the :class:`ModelAPI` protocol, the request-kind protocols, and the registry."""

from assay.models._api import (
    EmbeddingModel,
    LoglikelihoodModel,
    ModelAPI,
    MultiChoiceModel,
    ToolCallingModel,
    get_model_api,
    register_model_api,
    registered_model_apis,
)

__all__ = [
    "EmbeddingModel",
    "LoglikelihoodModel",
    "ModelAPI",
    "MultiChoiceModel",
    "ToolCallingModel",
    "get_model_api",
    "register_model_api",
    "registered_model_apis",
]
