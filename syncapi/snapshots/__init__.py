"""First downloads as snapshots: immutable, compressed files of a collection's visible records.

A snapshot holds every visible record of a global collection at one version
V, read in one consistent read, split into parts, compressed once and stored
under content-addressed names. It is never wrong, only older: a client
applies its parts, then pulls ordinary deltas from a cursor at V. See
docs/architecture.md ("Snapshots") and docs/protocol-notes.md.
"""
