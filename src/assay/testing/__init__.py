"""Test doubles for Assay: an OpenAI-compatible mock server (see :mod:`assay.testing.server`)."""
