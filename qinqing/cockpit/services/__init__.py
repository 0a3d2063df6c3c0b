"""State changes of the cockpit: one function each, inside ``events.atomic()``."""
