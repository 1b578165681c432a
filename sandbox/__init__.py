"""A simulated Microsoft Partner Center (REST API) and its Entra ID sign-in, for demos and tests.

It is a separate HTTPS process (`python -m sandbox`), built on the standard library only (plus
`cryptography` and `PyJWT` for certificates and tokens). The portal talks to it over real HTTPS exactly
as it would talk to https://api.partnercenter.microsoft.com and login.microsoftonline.com; nothing here
is imported by the portal and nothing of the portal is imported here.

Module map:
    __main__   command line (init, serve)
    options    the command-line / environment options and the runtime settings
    pki        data-directory bootstrap: local CA, server certificate, signing key, secrets, portal.env
    store      SQLite state that survives restarts, the sandbox clock, settings and fault rules
    ids        deterministic identifiers and time formatting
    markets    countries, currencies, Azure regions, the markets where reservations are unavailable
    world      the seeded partner: users, customers, subscriptions, historic reservation orders
    catalog    reservation products, SKUs, availabilities (rotating ids) and inventory restrictions
    identity   Entra ID look-alike: discovery, keys, authorize page, token endpoint, token checks
    records    a customer's orders and a subscription's registration status (shared lookups)
    customers  customers, subscriptions, Azure entitlements, registration endpoints
    purchasing carts, checkout, orders, provisioning status, entitlements, reservation details
    billing    balance, invoice summaries, invoices, line items, statement PDF
    web        request/response types, errors, the router
    faults     fault-injection rules (error, latency, drop, lost_response, throttle)
    app        the request pipeline: auth, throttling, faults, MS-RequestId replay, stats, admin API
    server     the threaded HTTPS server
"""
