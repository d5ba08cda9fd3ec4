# Organization signing certificates and sealed documents (issue 4).
