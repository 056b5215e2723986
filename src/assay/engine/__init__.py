"""The async evaluation engine: planning, journal, workers, outputs."""
