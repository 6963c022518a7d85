"""What the tests share: the batches of runs (a plugin), processes, the CLI, services."""
