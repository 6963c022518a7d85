"""Tests of shared.cli."""
