"""Storage: SQLAlchemy 2 tables, repositories, units of work and Alembic migrations.

Using it (``lastmile.bootstrap`` wires it)::

    url = init_database()                # LASTMILE_DATABASE_URL or var/lastmile.sqlite3
    new_uow = uow_factory(url)           # one engine; a new unit of work per call
    with new_uow() as uow:
        order = uow.orders.get("ORD-1")
        order.advance(LifecycleState.READY)
        uow.commit()                     # order row + journey event + outbox, atomically

Units of work track what they hand out: changes to loaded entities are saved on commit,
``add`` is an upsert by ref, unchanged entities are never rewritten. ``InMemoryUnitOfWork``
(``store.memory``) keeps the same promises without a database; ``tests/unit/store/contract.py``
holds both to them. Senders read the outbox through ``store.outbox``.

Adding tables: put them in your own module on ``store.tables.metadata`` (or your own
``MetaData``) and add a migration in ``store/migrations/versions/`` named ``NNNN_topic.py``
with ``revision = "NNNN_topic"`` and ``down_revision`` = the current head, keeping history one
straight line (a test checks). ``migrate(url)`` runs on SQLite and PostgreSQL; write portable
operations (SQLite runs them in batch mode).
"""
