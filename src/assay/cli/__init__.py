"""Command-line entry points (``assay eval``, ``assay benchmark-info``, ``assay mock-server``, ``assay app``)."""
