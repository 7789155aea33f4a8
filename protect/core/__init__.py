"""Shared by every feature; imports no feature."""
