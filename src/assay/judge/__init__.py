"""LLM-as-judge: configuration, the run-scoped judge service, verdict parsing and judge scorers."""
