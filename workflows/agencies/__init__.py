"""Tax agencies: what the console sends to them and keeps of what it sent.

One subpackage per agency (``aeat``: Spain's VERI*FACTU and taxpayer census). The
records an agency chains (``models``) live here; the workflow steps that use an agency
are actions in ``workflows/actions``, and every call to an agency goes through
``workflows.outbound``.
"""
