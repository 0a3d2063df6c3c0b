"""Write services of the service desk, one per state change, each inside `core.events.atomic()`."""
