"""`assay perf`: an exact, fast, self-checking serving benchmark (EvalScope-compatible)."""
