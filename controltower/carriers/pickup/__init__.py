"""In-store pickup: the customer collects; a built-in carrier so every order has a shipment."""
