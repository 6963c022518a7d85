"""Tests of shared.measure."""
