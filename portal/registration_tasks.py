"""Background tasks of subscription registration."""
