"""Purchasing: carts, purchase requests and approvals, checkout, orders and entitlements."""
