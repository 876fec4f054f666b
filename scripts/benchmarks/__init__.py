"""FTZ Chain benchmarks (`scripts/bench NAME`): one module per benchmark, beside the harness."""
