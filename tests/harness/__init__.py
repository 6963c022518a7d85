"""Tests of shared.harness."""
