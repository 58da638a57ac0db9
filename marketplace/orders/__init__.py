"""The order life cycle: cart, checkout, payment, expiry, cancellation, completion.

:mod:`marketplace.orders.transitions` is the one module of transitions (``checkout``,
``order_pay``, ``order_abandon``, ``order_expire``/``holds_expire``, ``booking_cancel``,
``bookings_complete``) that views, tasks and payment webhooks call; nothing else changes
an order's or a booking's state. Beside it live its helpers: ``capacity`` (claims, reserve,
release), ``locks`` (the one row-lock helper), ``cart``, ``hold_limits``, ``policies``,
``access`` (who sees which bookings), ``payment`` (the PaymentProvider protocol and its
registry, filled by the ``payments`` app at ready), ``accounting`` (what a transition
writes in the ledger), ``notify``/``tasks`` (huey), the visitor's views and the admin.

No models here (they are in :mod:`marketplace.models.orders`). Nothing here imports the
``payments`` app except its ledger (``marketplace.books.ledger``/``payments.models``), which is on
its way to ``marketplace/books``.
"""
