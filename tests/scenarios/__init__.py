"""Tests of shared.scenarios."""
