"""Billing: balance, invoice summaries, invoices, line items, reconciliation and statements."""
