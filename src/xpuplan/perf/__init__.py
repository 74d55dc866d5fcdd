"""Analytic performance estimators: collectives, training layout, memory and step time."""
