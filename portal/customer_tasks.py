"""Background tasks of the customer mirror."""
