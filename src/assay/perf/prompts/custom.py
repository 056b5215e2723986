"""``--dataset custom``: your own prompt file, and the example to copy for your own prompt source.

As a dataset it is EvalScope's ``custom`` (``evalscope/perf/plugin/datasets/custom.py``): one prompt
per non-empty line of ``--dataset-path``, read like ``line_by_line``, so besides plain-text lines it
takes ``{"prompt": "..."}`` and ``{"messages": [{"role": "user", "content": "..."}]}`` lines.

As an example: a prompt source is any class with ``__init__(args)`` and ``prompts()`` registered with
:func:`~assay.perf.plugins.register_dataset`. Subclassing :class:`~assay.perf.prompts.PromptSourceBase`
gives ``--prompt``, ``--system-prompt``, the length filters, ``--tokenize-prompt`` and chat-or-text
handling for free; you then only read your data in ``dataset_prompts``::

    from assay.perf.prompts import PromptSourceBase
    from assay.perf.plugins import register_dataset

    @register_dataset("my_questions")
    class MyQuestions(PromptSourceBase):
        name = "my_questions"

        def dataset_prompts(self):
            for row in my_database_rows():              # anything: a DB, an API, a generator
                prompt = self.text_prompt(row.question)  # None when the length filter drops it
                if prompt is not None:
                    yield prompt

To keep the line reading and change what a line means, subclass :class:`CustomDataset` and override
``prompt_from_line``. Import your module before the run so that ``--dataset my_questions`` finds it,
and raise :class:`assay.errors.UserError` for data of the wrong shape: the user gets one clear line.
"""

from __future__ import annotations

from assay.perf.plugins import register_dataset
from assay.perf.prompts.line_by_line import LineByLine


@register_dataset("custom")
class CustomDataset(LineByLine):
    """Prompts from a file of plain-text, ``{"prompt"}`` or ``{"messages"}`` lines (EvalScope's ``custom``)."""

    name = "custom"
