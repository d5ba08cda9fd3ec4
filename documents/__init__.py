"""Documents the app prints: letters of authorization, technician checklists.

Not a Django app (no models): every PDF goes through `documents.render.render_pdf`, which
renders with WeasyPrint in a separate process under a time limit, and fetches nothing but
the app's own static files. See docs/pdf-rendering.md.
"""
