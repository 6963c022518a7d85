"""The suite's plugin: batches of runs started at once, fixtures over the models."""

pytest_plugins = ["tests.support.batches"]
