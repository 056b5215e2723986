"""Dataset loaders: local files (upstream and hub-style layouts) and the Hugging Face / ModelScope hubs.

Nothing heavy is imported here: ``datasets``, ``pyarrow`` and ``modelscope`` load only when a
record is actually read from them.
"""

from assay.datasets.hub import HUBS, HubSplit, check_hub, load_hub_split
from assay.datasets.local import SUPPORTED_SUFFIXES, hf_style_candidates, read_records, read_split_files

__all__ = [
    "HUBS",
    "SUPPORTED_SUFFIXES",
    "HubSplit",
    "check_hub",
    "hf_style_candidates",
    "load_hub_split",
    "read_records",
    "read_split_files",
]
