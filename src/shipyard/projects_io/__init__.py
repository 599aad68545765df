"""Moving one project between stores: ``shipyard export`` and ``shipyard import``.

An archive is a ustar file (:mod:`archive`) of JSON-lines rows per table
(:mod:`scope`, :mod:`rows`), the source's audit entries, every object the
project holds, and a manifest of digests (:mod:`manifest`). :mod:`export`
writes one; :mod:`checking` and :mod:`importing` read one into a store.
"""
