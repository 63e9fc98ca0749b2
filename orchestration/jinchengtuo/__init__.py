"""jinchengtuo: the 金秤砣 street governance observatory."""
