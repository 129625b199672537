"""hyperlint's rules: one module per rule (or small family). Each rule class documents itself
(its docstring) and carries its own VALID/INVALID examples, which the test suite runs."""
