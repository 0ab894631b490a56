"""The family library: every photo of the family's folders indexed once, its faces decided again after
each training from the stored embeddings, searched by who is in them.

The engine only (what one photo gives, the plan of a scan, the decision, thumbnails, the query);
the service layer (``api/services/library*.py``) keeps it in the data folder's database.
"""
