"""Printed documents (PDF) built from the domain's data."""
