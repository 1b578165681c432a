"""The reservation catalog: products, SKUs, availabilities, inventory checks and the local mirror."""
