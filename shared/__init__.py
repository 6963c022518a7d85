"""concurrency-compare: the contract, the scenarios, the services, the runner and the CLI."""
