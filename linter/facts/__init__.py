"""Shared analysis that rules read instead of recomputing: names, bindings, training, configs."""
