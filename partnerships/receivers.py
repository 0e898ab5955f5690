"""Signal handlers: how changes elsewhere reach the matching engine."""
