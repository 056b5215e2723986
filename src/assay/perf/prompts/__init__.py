"""Built-in prompt sources of ``assay perf`` (``--dataset``), and the base to write your own.

Each module registers one source with :func:`assay.perf.plugins.register_dataset` and is imported
only when its name is used: ``openqa``, ``line_by_line``, ``random`` (``random_tokens``),
``speed_benchmark``, ``sharegpt``, ``custom``, and the image sources ``flickr8k`` and ``random_vl``
(see ``docs/perf_images.md``). :class:`PromptSourceBase` holds what they share
(chat or text prompts, ``--prompt``, ``--system-prompt``, length filters, ``--tokenize-prompt``).
"""

from __future__ import annotations

from assay.perf.prompts._base import PromptSourceBase, content_text, load_fixed_prompt, uses_chat_messages

__all__ = ["PromptSourceBase", "content_text", "load_fixed_prompt", "uses_chat_messages"]
